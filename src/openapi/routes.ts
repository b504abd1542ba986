import { Hono } from 'hono'
import type { AppEnv } from '../http/context.ts'
import { openApiDocument } from './document.ts'

/** GET /openapi.json, without a token: it describes the API and holds no data. */
export function openApiRoutes() {
  return new Hono<AppEnv>().get('/openapi.json', (c) => c.json(openApiDocument()))
}
