/** The services `netstrap lab service` controls in a node (a lab node has no systemd: systemctl cannot). */
export const LAB_SERVICES = ['systemd-networkd'] as const;
export type LabService = (typeof LAB_SERVICES)[number];
export const LAB_SERVICE_ACTIONS = ['start', 'stop', 'restart'] as const;
export type LabServiceAction = (typeof LAB_SERVICE_ACTIONS)[number];
