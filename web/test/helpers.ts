import type { Machine } from "../src/types";

export function machine(over: Partial<Machine> & { id: string }): Machine {
  return {
    name: over.id,
    hostname: `${over.id}.local`,
    company: "",
    site: "",
    department: "",
    device_type: "",
    tag: "",
    online: false,
    last_seen: null,
    first_seen: "2024-01-01T00:00:00Z",
    agent_version: "1.0.0",
    os_type: "windows",
    os_name: "Windows 11",
    os_version: "23H2",
    public_ip: "",
    logged_on_users: [],
    inventory: null,
    ...over,
  };
}
