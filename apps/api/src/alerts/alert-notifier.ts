// Where alert events go: `alert` to the socket room `alerts` on every process, the room's list
// refreshed on this one, and the optional webhook (signed, retried; alert-webhook.ts).
import { Inject, Injectable } from '@nestjs/common';
import { StatisticsGateway } from '../realtime/statistics.gateway.js';
import { publicAlert, type StoredAlert } from './alert-store.js';
import { AlertWebhook, type AlertEvent } from './alert-webhook.js';

@Injectable()
export class AlertNotifier {
  constructor(
    @Inject(StatisticsGateway) private readonly gateway: StatisticsGateway,
    @Inject(AlertWebhook) readonly webhook: AlertWebhook,
  ) {}

  /** Every raise, acknowledgement and resolution: the event everywhere, and this process's alerts room list. */
  publish(event: AlertEvent, alert: StoredAlert): void {
    const wire = publicAlert(alert);
    this.gateway.broadcastAlert(wire);
    this.gateway.refresh('alerts');
    this.webhook.deliver(event, wire);
  }

  /** Stops the webhook (what it still has to send is given up, and counted). */
  close(): Promise<void> {
    return this.webhook.close();
  }
}
