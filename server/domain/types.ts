export const LANGUAGES = ['fr', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const STORY_STATUSES = ['developing', 'concluded'] as const;
export type StoryStatus = (typeof STORY_STATUSES)[number];

export const IMPORTANCES = ['key', 'normal'] as const;
export type Importance = (typeof IMPORTANCES)[number];

export const VERIFICATIONS = ['confirmed', 'unconfirmed', 'disputed'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export interface Story {
  slug: string;
  title: string;
  summary: string;
  language: Language;
  timeZone: string;
  status: StoryStatus;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Source {
  label: string;
  url: string;
}

export interface Media {
  url: string;
  alt: string;
  caption?: string;
  credit?: string;
}

export interface ChronoEvent {
  id: string;
  date: string;
  endDate?: string;
  timeZone: string;
  approximate: boolean;
  title: string;
  body: string;
  sources: Source[];
  tags: string[];
  importance: Importance;
  verification: Verification;
  media?: Media;
  /** public corrections, oldest first: what readers see as "Corrigé le … : note" */
  corrections?: Correction[];
  /** set when the event was retracted: it stays as a tombstone with the reason */
  retraction?: { at: string; reason: string };
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Correction {
  at: string;
  note: string;
}

export type StoryInput = Omit<Story, 'createdAt' | 'updatedAt' | 'version'>;

/** What a caller supplies for a new event; the store fills the bookkeeping fields. */
export type EventInput = Omit<ChronoEvent, 'id' | 'createdAt' | 'updatedAt' | 'version' | 'timeZone' | 'corrections' | 'retraction'> & {
  id?: string;
  timeZone?: string;
};

export interface StorySummary extends Story {
  eventCount: number;
}
