/** Why the broker refused something; counted by reason in /metrics (broker/embedded-broker.ts counts them). */
export type BrokerRefusalReason = 'bad-credentials' | 'client-id-not-owned' | 'publish-not-allowed' | 'subscribe-not-allowed';
export const BROKER_REFUSAL_REASONS: readonly BrokerRefusalReason[] = ['bad-credentials', 'client-id-not-owned', 'publish-not-allowed', 'subscribe-not-allowed'];
