// Who may call the legacy endpoints (legacy-endpoints.md): the same Bearer verification as every
// statistics endpoint (BearerUserGuard), with the legacy rules on who is admitted and how a
// refusal reads.
import { ForbiddenException, Injectable, type HttpException } from '@nestjs/common';
import { AccessRefused, BearerUserGuard, isAdministrator, type AuthenticatedUser } from '../../auth/admin.guard.js';

/** project_statistics: user_type 'admin' only, is_staff is not consulted; 403 {"error": ...}. */
@Injectable()
export class LegacyAdminGuard extends BearerUserGuard {
  protected admits(user: AuthenticatedUser): boolean {
    return user.userType === 'admin';
  }
}

/** Django REST framework's permission-denied message, in French as the original served it. */
export const EXPORT_FORBIDDEN = "Vous n'avez pas la permission d'effectuer cette action.";

/**
 * The legacy exports: user_type 'admin' or is_staff (the original checked is_staff alone, but the
 * page shows the buttons to admins; decided); 403 {"detail": ...} as DRF answered.
 */
@Injectable()
export class LegacyExportGuard extends BearerUserGuard {
  protected admits(user: AuthenticatedUser): boolean {
    return isAdministrator(user);
  }

  protected override refusal(error: AccessRefused): HttpException {
    return error.status === 403 ? new ForbiddenException({ detail: EXPORT_FORBIDDEN }) : error.toHttp();
  }
}
