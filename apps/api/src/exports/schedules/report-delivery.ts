// Delivers a finished scheduled report: an e-mail over SMTP (SMTP_URL, SMTP_FROM) in French with the
// file attached, or with only its signed link when the file is larger than EXPORT_MAX_ATTACHMENT_MB;
// and a `report.delivered` JSON POST to the schedule's webhook_url, signed like the alert webhook
// (X-DepanneTeliman-Signature: sha256=<hex HMAC of the body>, REPORT_WEBHOOK_SECRET, else
// ALERT_WEBHOOK_SECRET). Each send is one attempt: the caller (report-scheduler.ts) retries with
// backoff. A DeliveryError says whether retrying can help (a 5xx refusal, a 4xx webhook answer, or
// SMTP not configured cannot be fixed by waiting).
import type { Readable } from 'node:stream';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { AppConfig } from '../../../../../libs/config/src/config.js';
import type { ExportFilters } from '../../../../../libs/metrics/src/exports.js';
import type { ReportDeliveredEvent } from '../../../../../libs/metrics/src/report-schedules.js';
import { isRetryableStatus, webhookHeaders } from '../../alerts/alert-webhook.js';
import { APP_CONFIG } from '../../tokens.js';
import { formatInstant } from '../format-fr.js';
import { periodLabel } from '../report-builder.js';
import { errorMessage } from '../../../../../libs/errors/src/error-message.js';

export class DeliveryError extends Error {
  constructor(
    message: string,
    /** Retrying cannot help: the run is recorded failed at once. */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Whether a file of `fileSize` bytes goes as an attachment (else the mail carries its link only). */
export function fitsAsAttachment(fileSize: number, maxAttachmentMb: number): boolean {
  return fileSize <= maxAttachmentMb * 1024 * 1024;
}

const TYPE_LABELS: Record<string, string> = { excel: 'Excel', pdf: 'PDF', json: 'JSON', csv: 'CSV' };

const sizeFormat = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

/** "2,4 Mo", "812 ko". */
export function frenchSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${sizeFormat.format(bytes / (1024 * 1024))} Mo` : `${sizeFormat.format(Math.max(1, Math.ceil(bytes / 1024)))} ko`;
}

export interface ReportMailContent {
  scheduleName: string;
  cron: string;
  timezone: string;
  type: string;
  filters: ExportFilters;
  dataAsOf: string | null;
  generatedAt: string | null;
  fileName: string;
  fileSize: number;
  link: string;
  linkExpiresAt: string;
  attached: boolean;
  maxAttachmentMb: number;
}

/** The French subject and body of a report's mail. */
export function reportMail(content: ReportMailContent): { subject: string; text: string } {
  const period = periodLabel(content.filters);
  const lines = [
    'Bonjour,',
    '',
    `Voici le rapport statistique « ${content.scheduleName} » (${TYPE_LABELS[content.type] ?? content.type}).`,
    '',
    `Période : ${period}`,
    `Données à jour au : ${content.dataAsOf ? formatInstant(content.dataAsOf) : 'aucune donnée ingérée à ce jour'}`,
    ...(content.generatedAt ? [`Généré le : ${formatInstant(content.generatedAt)}`] : []),
    '',
    content.attached
      ? `Le fichier ${content.fileName} (${frenchSize(content.fileSize)}) est joint à ce message. Il peut aussi être téléchargé jusqu'au ${formatInstant(content.linkExpiresAt)} :`
      : `Le fichier ${content.fileName} (${frenchSize(content.fileSize)}) dépasse la taille maximale d'une pièce jointe (${content.maxAttachmentMb} Mo) : téléchargez-le jusqu'au ${formatInstant(content.linkExpiresAt)} à cette adresse :`,
    content.link,
    '',
    `Ce message est envoyé automatiquement par la planification « ${content.scheduleName} » (${content.cron}, fuseau ${content.timezone}).`,
    'Toute personne disposant du lien peut télécharger le fichier jusqu’à son expiration : ne le transférez pas.',
  ];
  return { subject: `Rapport statistique DepanneTeliman « ${content.scheduleName} » – ${period}`, text: `${lines.join('\n')}\n` };
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Readable;
}

/** The SMTP URL with nodemailer's timeouts bounded unless the URL sets them (its query holds transport options). */
function transportUrl(url: string): string {
  const parsed = new URL(url);
  const defaults = { connectionTimeout: '30000', greetingTimeout: '30000', socketTimeout: '120000' };
  for (const [key, value] of Object.entries(defaults)) if (!parsed.searchParams.has(key)) parsed.searchParams.set(key, value);
  return parsed.toString();
}

function addressOf(entry: string | { address: string }): string {
  return typeof entry === 'string' ? entry : entry.address;
}

@Injectable()
export class ReportDelivery implements OnModuleDestroy {
  private transport: Transporter<SMTPTransport.SentMessageInfo> | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get smtpConfigured(): boolean {
    return this.config.smtp.url !== undefined;
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }

  /**
   * Sends one mail to `to`; resolves to the addresses the server accepted. Some refused: a
   * DeliveryError after the accepted ones are known (`accepted` on the error), permanent when every
   * refusal was a 5xx.
   */
  async sendMail(to: readonly string[], mail: { subject: string; text: string }, attachment: MailAttachment | null): Promise<string[]> {
    if (!this.config.smtp.url) throw new DeliveryError('SMTP_URL is not set: e-mail delivery is not configured on this service', true);
    this.transport ??= nodemailer.createTransport(transportUrl(this.config.smtp.url));
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await this.transport.sendMail({
        from: this.config.smtp.from,
        to: [...to],
        subject: mail.subject,
        text: mail.text,
        attachments: attachment ? [attachment] : [],
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      const reason = errorMessage(error);
      throw new DeliveryError(`mail not sent: ${reason}`, code !== undefined && code >= 500 && code < 600);
    } finally {
      attachment?.content.destroy();
    }
    const accepted = info.accepted.map(addressOf);
    const rejected = info.rejected.map(addressOf);
    if (rejected.length > 0) {
      const errors = (info as { rejectedErrors?: Array<{ responseCode?: number; message: string }> }).rejectedErrors ?? [];
      const permanent = errors.length > 0 && errors.every((error) => (error.responseCode ?? 0) >= 500);
      throw Object.assign(new DeliveryError(`the mail server refused ${rejected.join(', ')}: ${errors.map((error) => error.message).join('; ') || info.response}`, permanent), { accepted });
    }
    return accepted;
  }

  /** POSTs the event to `url`, signed when a secret is configured. */
  async postWebhook(url: string, event: ReportDeliveredEvent): Promise<void> {
    const body = JSON.stringify(event);
    const headers = webhookHeaders(body, this.config.reports.webhookSecret);
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message) : String(error);
      throw new DeliveryError(`webhook not delivered: ${reason}`, false);
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    throw new DeliveryError(`webhook answered HTTP ${response.status}`, !isRetryableStatus(response.status));
  }
}
