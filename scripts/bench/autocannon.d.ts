// The part of autocannon's API the bench uses (the package ships no types; @types/autocannon is not a dependency).
declare module 'autocannon' {
  interface RawRequest {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
  }

  interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p99: number
  }

  interface Options {
    url: string
    connections?: number
    duration?: number
    overallRate?: number
    requests?: Array<RawRequest & { setupRequest?: (request: RawRequest) => RawRequest }>
  }

  interface Result {
    requests: Histogram & { total: number; sent: number }
    latency: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    statusCodeStats?: Record<string, { count: number }>
  }

  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
