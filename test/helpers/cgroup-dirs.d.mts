export function removeCgroupParent(name: string): void;
