// The PDF renderer as a global Nest module: one BrowserPool (one warm browser) for the whole
// application, shared by the exports and the legacy endpoints. APP_CONFIG comes from the app module.
import { Global, Module } from '@nestjs/common';
import { BrowserPool } from './browser-pool.js';

@Global()
@Module({ providers: [BrowserPool], exports: [BrowserPool] })
export class PdfModule {}
