import type { Importance, Language, StoryStatus, Verification } from '../domain/types.js';

const fr = {
  siteName: 'Chrono',
  allStories: 'Toutes les chroniques',
  stories: 'Chroniques',
  noStories: 'Aucune chronique pour le moment.',
  status: { developing: 'En cours', concluded: 'Terminé' } satisfies Record<StoryStatus, string>,
  updated: 'Mis à jour le',
  events: (n: number) => (n <= 1 ? `${n} événement` : `${n} événements`),
  order: 'Ordre\u00a0:',
  newestFirst: 'Plus récent d’abord',
  oldestFirst: 'Plus ancien d’abord',
  chronology: 'Chronologie',
  importance: { key: 'Clé', normal: '' } satisfies Record<Importance, string>,
  verification: { confirmed: '', unconfirmed: 'Non confirmé', disputed: 'Contesté' } satisfies Record<Verification, string>,
  sources: 'Sources\u00a0:',
  tags: 'Sujets',
  permalink: 'Lien vers cet événement',
  originalTime: (text: string, city: string) => `${text} à ${city}`,
  seeInChronology: 'Voir dans la chronologie',
  notFoundTitle: 'Page introuvable',
  notFoundText: 'Cette page n’existe pas ou n’existe plus.',
  errorTitle: 'Une erreur est survenue',
  errorText: 'Réessayez dans un instant.',
  backHome: 'Retour à l’accueil',
  noEvents: 'Aucun événement pour le moment.',
  skipToContent: 'Aller au contenu',
  externalLink: '(lien externe)',
};

export type Labels = typeof fr;

const en: Labels = {
  siteName: 'Chrono',
  allStories: 'All timelines',
  stories: 'Timelines',
  noStories: 'No timelines yet.',
  status: { developing: 'Developing', concluded: 'Concluded' },
  updated: 'Updated',
  events: (n: number) => (n === 1 ? `${n} event` : `${n} events`),
  order: 'Order:',
  newestFirst: 'Newest first',
  oldestFirst: 'Oldest first',
  chronology: 'Timeline',
  importance: { key: 'Key', normal: '' },
  verification: { confirmed: '', unconfirmed: 'Unconfirmed', disputed: 'Disputed' },
  sources: 'Sources:',
  tags: 'Topics',
  permalink: 'Link to this event',
  originalTime: (text: string, city: string) => `${text} in ${city}`,
  seeInChronology: 'See it in the timeline',
  notFoundTitle: 'Page not found',
  notFoundText: 'This page does not exist, or no longer does.',
  errorTitle: 'Something went wrong',
  errorText: 'Please try again in a moment.',
  backHome: 'Back to the home page',
  noEvents: 'No events yet.',
  skipToContent: 'Skip to content',
  externalLink: '(external link)',
};

export const LABELS: Record<Language, Labels> = { fr, en };

/** The site's own language, for pages that belong to no story. */
export const SITE_LANGUAGE: Language = 'fr';
