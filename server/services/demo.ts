import { readFile } from 'node:fs/promises';
import type { StoryService } from './stories.js';

export interface DemoFile {
  story: unknown;
  events: unknown[];
}

/** On a first start the store is empty: load the shipped demo story so there is something to read. */
export async function loadDemoIfEmpty(service: StoryService, seedFile: string): Promise<boolean> {
  if ((await service.listStories()).length > 0) return false;
  const demo = JSON.parse(await readFile(seedFile, 'utf8')) as DemoFile;
  await service.createStory(demo.story, demo.events);
  return true;
}
