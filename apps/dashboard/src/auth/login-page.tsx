// The sign-in form: paste the Bearer access token of the Django users API. The token is checked
// against the API (real_time_stats, the cheapest admin call) before the page opens: 401 says the
// token is refused, 403 says why a non-administrator cannot enter. In the embedded demo, from this
// machine, "Connexion démo" fetches the demo administrator's token in one click.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { AccessError, REAL_TIME_PATH, STATISTICS_API, apiCall, apiGet, demoSession } from '../api/client.js';

export function LoginPage({ reason, onSignedIn }: { reason: string | null; onSignedIn: (token: string) => void }) {
  const fieldId = useId();
  const messageId = useId();
  const [token, setToken] = useState('');
  const [message, setMessage] = useState<string | null>(reason);
  const [busy, setBusy] = useState(false);
  const [demoAvailable, setDemoAvailable] = useState(false);

  useEffect(() => {
    apiCall<{ available: boolean }>('GET', `${STATISTICS_API}/demo-session/`, null).then(
      (answer) => setDemoAvailable(answer.available),
      (error: unknown) => console.warn('demo sign-in availability unknown:', error),
    );
  }, []);

  const enter = async (candidate: string): Promise<void> => {
    setBusy(true);
    setMessage(null);
    try {
      await apiGet(REAL_TIME_PATH, candidate);
      onSignedIn(candidate);
    } catch (error) {
      if (error instanceof AccessError && error.status === 401) setMessage(`Jeton refusé : ${error.message}`);
      else setMessage(error instanceof Error ? error.message : String(error));
      setBusy(false);
    }
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const trimmed = token.trim().replace(/^Bearer\s+/i, '');
    if (trimmed === '') {
      setMessage('Collez un jeton d\'accès.');
      return;
    }
    void enter(trimmed);
  };

  const demo = async (): Promise<void> => {
    setBusy(true);
    setMessage(null);
    try {
      const session = await demoSession();
      await enter(session.access);
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <h1>Statistiques DepanneTeliman</h1>
      <p>Réservé aux administrateurs. Collez le jeton d'accès (Bearer) délivré par l'API des utilisateurs.</p>
      <form onSubmit={submit} aria-describedby={message ? messageId : undefined}>
        <label htmlFor={fieldId}>Jeton d'accès</label>
        <textarea
          id={fieldId}
          name="token"
          rows={4}
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={message ? true : undefined}
        />
        <button type="submit" disabled={busy}>
          Se connecter
        </button>
        {demoAvailable && (
          <button type="button" className="secondary" disabled={busy} onClick={() => void demo()}>
            Connexion démo
          </button>
        )}
        {message && (
          <p id={messageId} className="form-message" role="alert">
            {message}
          </p>
        )}
      </form>
    </main>
  );
}
