// The access token of the signed-in administrator: in sessionStorage only (gone when the tab
// closes, never in a URL, a cookie or localStorage), so a shared link never carries it.
const TOKEN_KEY = 'depanneteliman.statistics.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
