// Who may use the SQL gateway: administrators (as for the statistics) and users whose user_type is
// 'analyst'. The token is verified exactly as for the statistics endpoints (BearerUserGuard).
import { Injectable } from '@nestjs/common';
import { BearerUserGuard, isAdministrator, type AuthenticatedUser } from '../auth/admin.guard.js';

@Injectable()
export class AnalystGuard extends BearerUserGuard {
  protected admits(user: AuthenticatedUser): boolean {
    return isAdministrator(user) || user.userType === 'analyst';
  }
}
