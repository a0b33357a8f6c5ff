// Authentication for every feature module: the token secret and the user directory, one instance
// each for the whole application (so the short-lived user cache is shared by all guards).
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type pg from 'pg';
import { JWT_SECRET, OPERATIONAL_DB } from '../tokens.js';
import { AccessAuthenticator } from './admin.guard.js';
import { AuthFailureLimiter } from './auth-failures.js';
import { USER_CACHE_SECONDS, UserDirectory } from './user-directory.js';

@Global()
@Module({})
export class AuthModule {
  static forRoot(dependencies: { operationalDb: pg.Pool; jwtSecret: string; userCacheSeconds: number }): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: OPERATIONAL_DB, useValue: dependencies.operationalDb },
        { provide: JWT_SECRET, useValue: dependencies.jwtSecret },
        { provide: USER_CACHE_SECONDS, useValue: dependencies.userCacheSeconds },
        { provide: UserDirectory, useClass: UserDirectory },
        AuthFailureLimiter,
        AccessAuthenticator,
      ],
      exports: [JWT_SECRET, UserDirectory, AccessAuthenticator, AuthFailureLimiter],
    };
  }
}
