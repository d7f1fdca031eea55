/** One device as its edge agent last reported it on the retained status topic. */
export interface ReportedDeviceStatus {
  /** The agent is connected and the device answers its polls. */
  online: boolean;
  /** When the agent made the report, ms since the epoch. */
  reportedAt: number;
  /** Why it is offline: the device's error, or the agent's reason (its last will says nothing). */
  error?: string;
}

/** What the services ask about devices' status; ingest/agent-status-watcher.ts is the MQTT adapter. */
export interface AgentStatusSource {
  /** The last report covering `device`, or undefined when no agent has reported it. */
  deviceStatus(device: string): ReportedDeviceStatus | undefined;
}
