// The seeded people, derived from their index alone: the seeder writes contact i and the load
// generator can address contact i later (by username, ManyChat id, ig_id or contact id) without
// reading the database. Indexes at or past the seeded count are people the server has not seen.

const FIRST = [
  'maria',
  'jose',
  'anna',
  'luca',
  'sofia',
  'noah',
  'emma',
  'liam',
  'olivia',
  'mateo',
  'chloe',
  'ethan',
  'lea',
  'hugo',
  'mia',
  'leon',
  'zoe',
  'adam',
  'sara',
  'omar',
  'nina',
  'ivan',
  'yuki',
  'kai',
  'aisha',
  'ravi',
  'elena',
  'tom',
  'julia',
  'felix',
  'amara',
  'diego',
  'hana',
  'max',
  'lina',
  'samir',
  'ines',
  'theo',
  'alice',
  'marco',
]
const LAST = [
  'garcia',
  'smith',
  'rossi',
  'muller',
  'silva',
  'kim',
  'nguyen',
  'dubois',
  'kowalski',
  'santos',
  'jensen',
  'ahmed',
  'tanaka',
  'lopez',
  'brown',
  'costa',
  'novak',
  'petrov',
  'fischer',
  'moreau',
  'haddad',
  'singh',
  'walker',
  'ortiz',
]
const JOINERS = ['.', '_', '', '.the.']
const SUFFIXES = ['', '', '', '_official', '.fit', '.coach', '_studio', '.art', '.daily']

/** Stable 32-bit mixing (a murmur3 finalizer), so ids look random but are reproducible. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width)

/** A version-4 shaped UUID that is random-looking but fixed for index i. */
export function contactId(i: number): string {
  const a = mix(i + 0x9e3779b9)
  const b = mix(a ^ i)
  const c = mix(b + i)
  const d = mix(c ^ 0x27d4eb2d)
  return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 16, 3)}-${hex(8 + (c & 3), 1)}${hex(c >>> 4, 3)}-${hex(d, 8)}${hex(c >>> 16, 4)}`
}

/** A real-looking Instagram handle (at most 30 of a-z 0-9 . _), unique per index. */
export function username(i: number): string {
  const first = FIRST[i % FIRST.length]!
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!
  const h = mix(i)
  const joiner = JOINERS[h % JOINERS.length]!
  const suffix = SUFFIXES[(h >>> 8) % SUFFIXES.length]!
  // The base-36 index keeps it unique; it goes last so that truncation never cuts it.
  const unique = i.toString(36)
  return `${first}${joiner}${last}${suffix}`.slice(0, 30 - unique.length) + unique
}

/** ManyChat subscriber ids are 9-10 digit numbers, sent as strings. */
export function manychatId(i: number): string {
  return String(1_100_000_000 + i)
}

/** Instagram user ids are 17 digits, beyond 2^53: the bench sends them as raw JSON numbers. */
export function igId(i: number): string {
  return `178414${String(i).padStart(11, '0')}`
}

export const TAG_NAMES = [
  'hot-lead',
  'interested',
  'q1-campaign',
  'coaching',
  'pricing',
  'vip',
  'follow-up',
  'webinar',
  'clicked-link',
  'no-show',
  'podcast',
  'giveaway',
  'referral',
  'newsletter',
  'cold',
  'warm',
  'booked-call',
  'customer',
  'reel-viewer',
  'ad-lead',
]

export const MESSAGES = [
  'Hey! Saw your post about coaching, how much is it?',
  'Sure, send me more details about pricing.',
  'I am interested but not sure it fits my schedule right now. Do you have anything in the evenings?',
  'Thanks for following back 🙏',
  'Can we hop on a call this week? Thursday afternoon works best for me.',
  'What results have other people in my situation gotten? I have tried two programs already and neither stuck.',
  'yes',
  'How long is the program and is there a payment plan?',
  'Loved the reel about morning routines, I started doing it last week and it honestly changed my days 😅',
  'Not right now, maybe next month. Ping me again after the 15th?',
  'Link doesn’t work for me, can you resend it?',
  'I run a small studio in Lisbon and we are looking for someone to help with content and DMs. Is that something you do or do you only do 1:1 coaching? Happy to share more about what we need.',
]

export const OUTREACH = [
  { reason: 'New Follower', text: 'Hey, thanks for following! What made you check out the page?' },
  { reason: 'Cold outreach — Q1 campaign', text: 'Hey! Loved your content, would love to connect.' },
  { reason: 'Story reply', text: 'Thanks for reacting to the story! Are you working on anything similar?' },
  { reason: 'Comment on reel', text: 'Saw your comment on the reel — want me to send you the free guide?' },
]

export const STAGES = ['Outreach Sent', 'In Conversation', 'Interested', 'Meeting Booked', 'Closed', 'Lost']
export const LEAD_STATUSES = ['open', 'won', 'lost', 'abandoned']
export const TAG_COLORS = ['red', 'blue', 'green', 'purple', 'orange', '#0ea5e9', 'teal']

/** Which seeded tags contact i carries (a third of contacts carry one). */
export function seededTag(i: number): number | undefined {
  return i % 3 === 0 ? mix(i * 31) % TAG_NAMES.length : undefined
}
