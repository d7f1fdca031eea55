export { dashboardRoutes } from './dashboard-routes.js';
export type { DashboardRoutesOptions } from './dashboard-routes.js';
