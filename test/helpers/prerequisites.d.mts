export interface Prerequisite {
  id: string;
  what: string;
  neededBy: string;
  debian: string;
  brew?: string;
  debianPackage?: string;
  problem: () => string | undefined;
}
export const PREREQUISITES: Prerequisite[];
export function pidNamespaceArgs(): string[];
export function problemOf(id: string): string | undefined;
export function missingLines(): string[];
