// Authentication for every feature module: the user directory and the guards' authenticator, one
// instance each for the whole application (so the short-lived user cache is shared by all guards).
// The token secret and the operational database come from the core module.
import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { APP_CONFIG } from '../tokens.js';
import { AccessAuthenticator } from './admin.guard.js';
import { AuthFailureLimiter } from './auth-failures.js';
import { USER_CACHE_SECONDS, UserDirectory } from './user-directory.js';

@Global()
@Module({
  providers: [
    { provide: USER_CACHE_SECONDS, useFactory: (config: AppConfig) => config.authUserCacheSeconds, inject: [APP_CONFIG] },
    UserDirectory,
    AuthFailureLimiter,
    AccessAuthenticator,
  ],
  exports: [UserDirectory, AccessAuthenticator, AuthFailureLimiter],
})
export class AuthModule {}
