/** A resource as one map key: its type and id, which cannot hold a NUL. */
export const resourceKey = (typeId: string, resourceId: string) => `${typeId}\u0000${resourceId}`;
