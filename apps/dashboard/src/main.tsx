// Entry of the web dashboard (served by the API at / and /tableau/…; see apps/dashboard/README.md).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { preloadTabOf } from './tabs/index.js';
import './styles.css';

preloadTabOf(window.location.pathname);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
