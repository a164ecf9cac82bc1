import { ReactElement } from 'react';

/**
 * Home cards that live in the app itself. Families usually plug their cards in as extensions
 * instead (attach to `page:app/home`, input `cards`; see README of this folder):
 *
 *   createExtension({
 *     kind: 'home-card', name: 'my-card',
 *     attachTo: { id: 'page:app/home', input: 'cards' },
 *     output: [coreExtensionData.reactElement],
 *     factory: () => [coreExtensionData.reactElement(<MyCard />)],
 *   })
 *
 * A card renders `null` when it has nothing for the signed-in person, and is an
 * `InfoCard` (or `HomeCard` below) answering "what needs me?" with a link to the full page.
 */
export const appHomeCards: Array<{ id: string; element: ReactElement }> = [];
