/** MQTT topics shared by the edge agent and the cloud. */
export const TOPIC_ROOT = 'qingliu/v1';

export function readingsTopic(enterprise: string, device: string): string {
  return `${TOPIC_ROOT}/${enterprise}/${device}/readings`;
}

/** The subscription that receives every device's readings. */
export const ALL_READINGS_TOPIC = `${TOPIC_ROOT}/+/+/readings`;

/**
 * An edge agent's status (retained): which of its devices answer. The agent's
 * MQTT last will publishes `online: false` here when it drops off.
 */
export function agentStatusTopic(enterprise: string, agentId: string): string {
  return `${TOPIC_ROOT}/${enterprise}/${agentId}/status`;
}

/** The subscription that receives every agent's status. */
export const ALL_STATUS_TOPIC = `${TOPIC_ROOT}/+/+/status`;

/** Where the cloud publishes detected alerts (JSON, QoS 1) for the bureau's systems. */
export const ALERTS_TOPIC = `${TOPIC_ROOT}/bureau/alerts`;

export function parseAgentStatusTopic(topic: string): { enterprise: string; agentId: string } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[4] !== 'status') return undefined;
  return { enterprise: parts[2]!, agentId: parts[3]! };
}

export interface ReadingsTopic {
  enterprise: string;
  device: string;
}

export function parseReadingsTopic(topic: string): ReadingsTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[4] !== 'readings') {
    return undefined;
  }
  const [, , enterprise, device] = parts as [string, string, string, string, string];
  return { enterprise, device };
}
