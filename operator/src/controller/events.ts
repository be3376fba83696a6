// Kubernetes Events on a ClusterConnect, so `kubectl describe clusterconnect` tells what happened and when.
import type { ClusterConnect } from '../api/clusterconnect.js';
import type { Logger } from '../../../proxy/src/common/logger.js';
import type { KubeClients } from './kube.js';
import { apiErrorMessage } from './kube.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  constructor(private readonly clients: KubeClients, private readonly logger: Logger, private readonly reportingInstance: string) {}

  async record(cc: ClusterConnect, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date();
    try {
      await this.clients.core.createNamespacedEvent({
        namespace: cc.metadata.namespace,
        body: {
          metadata: { generateName: `${cc.metadata.name}.`, namespace: cc.metadata.namespace },
          involvedObject: { apiVersion: cc.apiVersion, kind: cc.kind, name: cc.metadata.name, namespace: cc.metadata.namespace, uid: cc.metadata.uid },
          type,
          reason,
          message: message.slice(0, 1024),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: 'clusterconnect-operator' },
          reportingComponent: 'clusterconnect-operator',
          reportingInstance: this.reportingInstance,
        },
      });
    } catch (err) {
      // An Event is a courtesy: failing to record one must not fail the reconcile.
      this.logger.warn('could not record event', { reason, error: apiErrorMessage(err) });
    }
  }
}
