// Every pre-aggregated table, for what must cover them all (the view test, invalidation lists).
import type { DailyAggregate } from './daily-aggregate.js';
import { PAYMENTS_DAILY } from './payments.js';
import { REQUEST_COMPLETIONS_DAILY, REQUESTS_DAILY, TECHNICIAN_JOBS_ALL, TECHNICIAN_JOBS_DAILY } from './requests.js';
import { REVIEWS_DAILY, TECHNICIAN_RATINGS_ALL, TECHNICIAN_RATINGS_DAILY } from './reviews.js';
import { AUDIT_DAILY, SECURITY_DAILY } from './security.js';
import { USERS_DAILY } from './users.js';

export const AGGREGATES: readonly DailyAggregate[] = [
  REQUESTS_DAILY,
  REQUEST_COMPLETIONS_DAILY,
  TECHNICIAN_JOBS_DAILY,
  PAYMENTS_DAILY,
  REVIEWS_DAILY,
  TECHNICIAN_RATINGS_DAILY,
  USERS_DAILY,
  AUDIT_DAILY,
  SECURITY_DAILY,
  TECHNICIAN_JOBS_ALL,
  TECHNICIAN_RATINGS_ALL,
];
