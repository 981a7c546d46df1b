/** Exit status 2 with a message: what the stand-in does not emulate must never pass silently. */
export class NotEmulated extends Error {}
