// Scheduled reports without a server: the body rules (every bad field named), the shortest interval
// of a cron read from its fields, e-mail addresses, the attachment-or-link decision and the mail text.
import { CronTime } from 'cron';
import { describe, expect, it } from 'vitest';
import {
  applyReportSchedulePatch,
  isEmailAddress,
  parseReportScheduleInput,
  ReportScheduleValidationError,
  shortestIntervalSeconds,
} from '../../apps/api/src/exports/schedules/dto/report-schedule.js';
import { DeliveryError, fitsAsAttachment, frenchSize, ReportDelivery, reportMail } from '../../apps/api/src/exports/schedules/report-delivery.js';
import { loadConfig } from '../../libs/config/src/config.js';

const VALID = { name: 'Hebdo', cron: '0 8 * * 1', type: 'excel', period: '7d', recipients: ['ops@depanneteliman.ml'] };

function fieldOf(body: unknown): string {
  try {
    parseReportScheduleInput(body);
  } catch (error) {
    if (error instanceof ReportScheduleValidationError) return error.field;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
}

describe('report schedule bodies', () => {
  it('accepts a minimal schedule with its defaults', () => {
    const input = parseReportScheduleInput(VALID);
    expect(input).toEqual({
      name: 'Hebdo',
      cron: '0 8 * * 1',
      timezone: 'Africa/Bamako',
      request: { type: 'excel', filters: { period: '7d', from: null, to: null, city: null, specialty: null }, sections: expect.any(Array), raw: false },
      recipients: ['ops@depanneteliman.ml'],
      webhookUrl: null,
      enabled: true,
    });
    expect(input.request.sections).toHaveLength(10);
  });

  it('keeps a custom window, filters, sections, raw rows in csv, a webhook instead of recipients', () => {
    const input = parseReportScheduleInput({
      name: 'Bamako',
      cron: '0 30 7 1 * *',
      timezone: 'Europe/Paris',
      type: 'csv',
      from: '2026-11-01',
      to: '2026-11-30',
      city: 'Bamako',
      sections: ['requests', 'overview'],
      raw: true,
      webhook_url: 'https://hooks.example.com/reports',
    });
    expect(input.request).toEqual({
      type: 'csv',
      filters: { period: 'custom', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', city: 'Bamako', specialty: null },
      sections: ['overview', 'requests'],
      raw: true,
    });
    expect(input.recipients).toEqual([]);
    expect(input.cron).toBe('0 30 7 1 * *');
  });

  it.each([
    ['body', []],
    ['name', { ...VALID, name: undefined }],
    ['name', { ...VALID, name: '  ' }],
    ['name', { ...VALID, name: 'a\nBcc: x@y.ml' }],
    ['cron', { ...VALID, cron: undefined }],
    ['cron', { ...VALID, cron: '0 8 * *' }],
    ['cron', { ...VALID, cron: '0 0 8 * * 1 2026' }],
    ['cron', { ...VALID, cron: '61 8 * * 1' }],
    ['cron', { ...VALID, cron: '@daily' }],
    ['cron', { ...VALID, cron: '0 8 ? * MON#1' }],
    ['cron', { ...VALID, cron: '0 0 30 2 *' }],
    ['cron', { ...VALID, cron: '* * * * *' }],
    ['cron', { ...VALID, cron: '*/2 * * * *' }],
    ['cron', { ...VALID, cron: '*/10 * * * * *' }],
    ['cron', { ...VALID, cron: 8 }],
    ['timezone', { ...VALID, timezone: 'Mars/Olympus' }],
    ['timezone', { ...VALID, timezone: 'UTC+5' }],
    ['timezone', { ...VALID, timezone: 3 }],
    ['type', { ...VALID, type: 'docx' }],
    ['type', { ...VALID, type: undefined }],
    ['period', { ...VALID, period: '90d' }],
    ['period', { ...VALID, from: '2026-11-01' }],
    ['from', { ...VALID, period: undefined, from: 'yesterday' }],
    ['to', { ...VALID, period: undefined, from: '2026-11-02', to: '2026-11-01' }],
    ['city', { ...VALID, city: 'x'.repeat(101) }],
    ['sections', { ...VALID, sections: ['overview', 'weather'] }],
    ['raw', { ...VALID, type: 'pdf', raw: true }],
    ['raw', { ...VALID, raw: 'yes' }],
    ['recipients', { ...VALID, recipients: ['not-an-address'] }],
    ['recipients', { ...VALID, recipients: ['a@b'] }],
    ['recipients', { ...VALID, recipients: ['a b@example.com'] }],
    ['recipients', { ...VALID, recipients: ['"quoted"@example.com'] }],
    ['recipients', { ...VALID, recipients: ['ops@example.com', 'OPS@example.com'] }],
    ['recipients', { ...VALID, recipients: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) }],
    ['recipients', { ...VALID, recipients: 'ops@example.com' }],
    ['recipients', { ...VALID, recipients: [] }],
    ['webhook_url', { ...VALID, webhook_url: 'ftp://example.com/x' }],
    ['webhook_url', { ...VALID, webhook_url: 'not a url' }],
    ['enabled', { ...VALID, enabled: 'true' }],
    ['enabled', { ...VALID, enabled: null }],
    ['owner', { ...VALID, owner: 3 }],
  ])('names %s', (field, body) => {
    expect(fieldOf(body)).toBe(field);
  });

  it('a patch is validated against the whole schedule; a period replaces a window and a bound replaces a period', () => {
    const current = parseReportScheduleInput({ ...VALID, type: 'csv', raw: true });
    expect(() => applyReportSchedulePatch(current, { type: 'pdf' })).toThrow(/raw/);
    expect(() => applyReportSchedulePatch(current, { recipients: [] })).toThrow(/recipient or a webhook_url/);
    const windowed = applyReportSchedulePatch(current, { from: '2026-11-01' });
    expect(windowed.request.filters).toMatchObject({ period: 'custom', from: '2026-11-01T00:00:00.000Z', to: null });
    const bounded = applyReportSchedulePatch(windowed, { to: '2026-11-10' });
    expect(bounded.request.filters).toMatchObject({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-11T00:00:00.000Z' });
    expect(applyReportSchedulePatch(bounded, { period: '30d' }).request.filters).toMatchObject({ period: '30d', from: null, to: null });
    expect(applyReportSchedulePatch(current, { city: 'Kayes' }).request.filters.city).toBe('Kayes');
    expect(applyReportSchedulePatch(current, { enabled: false })).toMatchObject({ enabled: false, cron: '0 8 * * 1' });
  });
});

describe('shortest interval of a cron', () => {
  it.each([
    ['*/5 * * * *', 300],
    ['0 8 * * 1', 7 * 86_400],
    ['0 8 * * *', 86_400],
    ['0,59 0,23 * * *', 60],
    ['0 8,9 * * 1-5', 3600],
    ['*/2 * * * * *', 2],
    ['0 0 1 * *', Infinity],
    ['0,30 9 1 1 *', 1800],
  ])('%s → %s s', (cron, seconds) => {
    const interval = shortestIntervalSeconds(new CronTime(cron, 'UTC'));
    // A weekly or monthly cron only has to be above the minimum: its day gaps are not measured.
    if (seconds > 86_400) expect(interval).toBeGreaterThan(86_400);
    else expect(interval).toBe(seconds);
  });
});

describe('e-mail addresses', () => {
  it.each(['ops@depanneteliman.ml', 'first.last+reports@sub.example.co', "o'brien@example.com", 'x@xn--bcher-kva.example'])('accepts %s', (address) => {
    expect(isEmailAddress(address)).toBe(true);
  });
  it.each(['ops', 'ops@', '@example.com', 'a..b@example.com', '.a@example.com', 'a@-example.com', 'a@example', 'a@1.2.3.4', 'a@[1.2.3.4]', `${'a'.repeat(65)}@example.com`, 'a@example.c'])(
    'refuses %s',
    (address) => {
      expect(isEmailAddress(address)).toBe(false);
    },
  );
});

describe('delivery', () => {
  it('attaches a file up to EXPORT_MAX_ATTACHMENT_MB MiB, links a larger one', () => {
    expect(fitsAsAttachment(1024 * 1024, 1)).toBe(true);
    expect(fitsAsAttachment(1024 * 1024 + 1, 1)).toBe(false);
    expect(fitsAsAttachment(9_000_000, 10)).toBe(true);
    expect(frenchSize(2_500_000)).toBe('2,4 Mo');
    expect(frenchSize(1500)).toBe('2 ko');
  });

  it('writes the mail in French with the period, data_as_of and the link', () => {
    const content = {
      scheduleName: 'Hebdo Bamako',
      cron: '0 8 * * 1',
      timezone: 'Africa/Bamako',
      type: 'excel',
      filters: { period: '7d' as const, from: null, to: null, city: 'Bamako', specialty: null },
      dataAsOf: '2026-11-30T07:59:12.000Z',
      generatedAt: '2026-11-30T08:00:03.000Z',
      fileName: 'statistiques_depanneteliman_2026-11-30_7d_bamako.xlsx',
      fileSize: 48_000,
      link: 'https://stats.example.ml/depannage/api/statistics/exports/x/download/?grant=1.abc',
      linkExpiresAt: '2026-12-03T08:00:03.000Z',
      attached: true,
      maxAttachmentMb: 10,
    };
    const attached = reportMail(content);
    expect(attached.subject).toBe('Rapport statistique DepanneTeliman « Hebdo Bamako » – 7 derniers jours · Ville : Bamako');
    expect(attached.text).toContain('Période : 7 derniers jours · Ville : Bamako');
    expect(attached.text).toContain('Données à jour au : 30 novembre 2026 à 07:59');
    expect(attached.text).toContain('est joint à ce message');
    expect(attached.text).toContain(content.link);
    const linked = reportMail({ ...content, attached: false, fileSize: 12 * 1024 * 1024 });
    expect(linked.text).toContain('dépasse la taille maximale d\'une pièce jointe (10 Mo)');
    expect(linked.text).not.toContain('est joint');
    expect(linked.text).toContain('jusqu\'au 3 décembre 2026');
  });

  it('without SMTP_URL a mail fails at once, for good, saying so', async () => {
    const delivery = new ReportDelivery(loadConfig({}));
    expect(delivery.smtpConfigured).toBe(false);
    const sent = delivery.sendMail(['ops@depanneteliman.ml'], { subject: 's', text: 't' }, null);
    await expect(sent).rejects.toThrow(DeliveryError);
    await expect(sent).rejects.toMatchObject({ permanent: true, message: expect.stringMatching(/^SMTP_URL is not set/) });
    expect(new ReportDelivery(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' })).smtpConfigured).toBe(true);
  });
});
