/** MQTT topics shared by the edge agent and the cloud. */
export const TOPIC_ROOT = 'qingliu/v1';

export function readingsTopic(enterprise: string, device: string): string {
  return `${TOPIC_ROOT}/${enterprise}/${device}/readings`;
}

/** The subscription that receives every device's readings. */
export const ALL_READINGS_TOPIC = `${TOPIC_ROOT}/+/+/readings`;

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
