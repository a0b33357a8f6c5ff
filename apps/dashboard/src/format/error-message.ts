// The text of anything thrown, for the messages the pages show (the server's errorMessage() lives in
// libs/errors, which the web app does not import).
export function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
