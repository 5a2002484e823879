export function removeCgroupParent(name: string): void;
export function cgroupHierarchies(): string[];
export function cgroupDirsOf(path: string): string[];
