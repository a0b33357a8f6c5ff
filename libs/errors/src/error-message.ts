// The text of anything thrown: an Error's message, or the value itself as a string (a rejection with
// a string or a number is legal JavaScript, and a log line must still say what failed).
export function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
