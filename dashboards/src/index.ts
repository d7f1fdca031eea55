export const DASHBOARDS_VERSION = '0.1.0';
