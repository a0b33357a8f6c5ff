// A view's data: fetched over HTTP with the page's filters, then kept current without reload. While
// the socket is live, a push on the view's room either is the view's answer (default filters: the
// rooms compute exactly the default-filter response) or says that a number moved (other filters:
// the view asks the API again for its own filters). While the socket is down the view polls.
import { createContext, useContext, useEffect, useRef, useState } from 'react';
import { AccessError, apiGet } from '../api/client.js';
import type { LiveHub, LiveState } from './live-hub.js';
import { errorMessage } from '../format/error-message.js';

/** The guide's refresh: "Données actualisées toutes les 30 secondes", when no socket says more. */
export const POLL_SECONDS = 30;
/** Pushes folded together before a filtered view asks again (a push comes at most once a second per room). */
const REFETCH_DELAY_MS = 300;

export interface Session {
  token: string;
  hub: LiveHub;
  /** The token was refused while in use: back to the login form with this reason. */
  signOut(reason: string | null): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export function useLiveState(): LiveState {
  const { hub } = useSession();
  const [state, setState] = useState(hub.state);
  useEffect(() => {
    setState(hub.state);
    return hub.onState(setState);
  }, [hub]);
  return state;
}

export interface LiveResource<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** When the data shown was received (a push or an answer). */
  receivedAt: Date | null;
}

/**
 * `path`: the REST address with the view's query; `room`: the socket room of the same data;
 * `pushIsAnswer`: whether a push's payload is this view's answer (default filters) or only a signal.
 */
export function useLiveResource<T>(path: string, room: string, pushIsAnswer: boolean): LiveResource<T> {
  const session = useSession();
  const liveState = useLiveState();
  const [resource, setResource] = useState<LiveResource<T>>({ data: null, error: null, loading: true, receivedAt: null });
  const generation = useRef(0);
  /** Asks the API again for the current view (the poll, and the catch-up after a reconnection). */
  const reload = useRef<() => void>(() => undefined);

  useEffect(() => {
    const mine = ++generation.current;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      apiGet<T>(path, session.token, controller.signal).then(
        (data) => {
          if (generation.current === mine) setResource({ data, error: null, loading: false, receivedAt: new Date() });
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          if (error instanceof AccessError) return session.signOut(error.message);
          const message = errorMessage(error);
          // The numbers already shown stay, marked by the error line; never replaced by a wrong value.
          if (generation.current === mine) setResource((previous) => ({ ...previous, error: message, loading: false }));
        },
      );
    };
    reload.current = load;
    setResource((previous) => ({ ...previous, loading: true }));
    load();
    const leave = session.hub.subscribe(room, (update) => {
      if (generation.current !== mine) return;
      if (pushIsAnswer) {
        setResource({ data: update.data as T, error: null, loading: false, receivedAt: new Date() });
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(load, REFETCH_DELAY_MS);
    });
    return () => {
      controller.abort();
      clearTimeout(timer);
      reload.current = () => undefined;
      leave();
    };
  }, [path, room, pushIsAnswer, session]);

  // Socket down: the view polls. Back up after being down: asked once more (pushes were missed);
  // the page's first connection needs no second request (the first one is still on its way).
  const wasOffline = useRef(false);
  useEffect(() => {
    if (liveState === 'live') {
      if (wasOffline.current) reload.current();
      wasOffline.current = false;
      return undefined;
    }
    if (liveState === 'offline') wasOffline.current = true;
    const poll = setInterval(() => reload.current(), POLL_SECONDS * 1000);
    return () => clearInterval(poll);
  }, [liveState]);

  return resource;
}
