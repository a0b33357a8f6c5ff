// Shared vocabulary of the demo marketplace (names, cities, specialties, enum values with
// their observed frequencies), used by both the bulk seed and the live simulator so that the
// two produce the same kind of rows.
import type { Random, Weighted } from './random.js';

export const MALE_FIRST_NAMES = [
  'Moussa', 'Oumar', 'Mamadou', 'Amadou', 'Ibrahim', 'Seydou', 'Bakary', 'Modibo', 'Boubacar',
  'Souleymane', 'Adama', 'Drissa', 'Sidiki', 'Lassana', 'Yacouba', 'Abdoulaye', 'Issa', 'Cheick',
  'Mahamadou', 'Tiémoko', 'Sékou', 'Daouda', 'Karim', 'Alou', 'Bréhima', 'Salif', 'Youssouf',
] as const;

export const FEMALE_FIRST_NAMES = [
  'Aminata', 'Fatoumata', 'Mariam', 'Awa', 'Kadiatou', 'Oumou', 'Assitan', 'Rokia', 'Djénéba',
  'Hawa', 'Salimata', 'Nana', 'Bintou', 'Korotoumou', 'Ramata', 'Adiaratou', 'Safiatou', 'Aïssata',
  'Fanta', 'Maimouna', 'Sitan', 'Kadidia',
] as const;

export const LAST_NAMES = [
  'Traoré', 'Diarra', 'Coulibaly', 'Keïta', 'Koné', 'Touré', 'Diallo', 'Sidibé', 'Sangaré',
  'Cissé', 'Doumbia', 'Dembélé', 'Konaté', 'Samaké', 'Sissoko', 'Kanté', 'Camara', 'Maïga',
  'Bagayoko', 'Fofana', 'Dicko', 'Ballo', 'Berthé', 'Tangara', 'Kouyaté', 'Guindo', 'Togola',
] as const;

export interface City {
  name: string; // '' = unknown (the column is free text and often left empty)
  latitude: number;
  longitude: number;
  weight: number;
  districts: readonly string[];
}

export const CITIES: readonly City[] = [
  { name: 'Bamako', latitude: 12.6392, longitude: -8.0029, weight: 52, districts: [
    'Hamdallaye ACI 2000', 'Badalabougou', 'Kalaban Coura', 'Magnambougou', 'Faladié',
    'Lafiabougou', 'Djélibougou', 'Sébénikoro', 'Niamakoro', 'Sotuba', 'Baco-Djicoroni',
    'Missira', 'Médina Coura', 'Quinzambougou', 'Banankabougou', 'Kalaban Koro', 'Yirimadio'] },
  { name: 'Sikasso', latitude: 11.3176, longitude: -5.6665, weight: 7, districts: ['Wayerma', 'Médine', 'Lafiabougou', 'Hamdallaye'] },
  { name: 'Ségou', latitude: 13.4317, longitude: -6.2157, weight: 6, districts: ['Pélengana', 'Bagadadji', 'Hamdallaye', 'Somono'] },
  { name: 'Kayes', latitude: 14.4469, longitude: -11.4456, weight: 5, districts: ['Khasso', 'Plateau', 'Liberté', 'Légal Ségou'] },
  { name: 'Kati', latitude: 12.744, longitude: -8.0726, weight: 5, districts: ['Kati Koko', 'Malibougou', 'Farada'] },
  { name: 'Mopti', latitude: 14.4843, longitude: -4.1827, weight: 4, districts: ['Sévaré', 'Komoguel', 'Gangal'] },
  { name: 'Koutiala', latitude: 12.3917, longitude: -5.4642, weight: 4, districts: ['Hamdallaye', 'Médine', 'Lafiala'] },
  { name: 'Koulikoro', latitude: 12.8627, longitude: -7.5598, weight: 3, districts: ['Souban', 'Koulikoro Gare', 'Plateau'] },
  { name: 'San', latitude: 13.3034, longitude: -4.8956, weight: 2, districts: ['Lafiabougou', 'Santoro'] },
  { name: 'Gao', latitude: 16.2666, longitude: -0.04, weight: 2, districts: ['Château', 'Aljanabandia', 'Sosso Koïra'] },
  { name: 'Tombouctou', latitude: 16.7666, longitude: -3.0026, weight: 1, districts: ['Djingareyber', 'Sankoré', 'Badjindé'] },
  { name: '', latitude: 12.6392, longitude: -8.0029, weight: 6, districts: ['Quartier non précisé'] },
];

export const CITY_WEIGHTS: Weighted<City> = CITIES.map((city) => [city, city.weight] as const);

export const KNOWN_SPECIALTIES = [
  'electrician', 'plumber', 'mechanic', 'it', 'air_conditioning', 'appliance_repair', 'locksmith', 'other',
] as const;
export type Specialty = (typeof KNOWN_SPECIALTIES)[number];

// Technician profiles: model codes plus the free-text values seen in live data.
export const TECHNICIAN_SPECIALTIES: Weighted<string> = [
  ['electrician', 22], ['plumber', 19], ['mechanic', 12], ['it', 8], ['air_conditioning', 11],
  ['appliance_repair', 10], ['locksmith', 5], ['other', 7], ['plomberie', 3], ['Electricité', 2],
  ['climatisation', 1],
];

// What a request's specialty_needed holds: the model code, or (frontend path) the French
// label the user typed, copied verbatim by the API.
export const FRENCH_LABELS: Record<string, readonly string[]> = {
  electrician: ['Electricité', 'électricité'],
  plumber: ['plomberie', 'Plomberie'],
  air_conditioning: ['climatisation'],
  mechanic: ['mécanique'],
  it: ['informatique'],
  appliance_repair: ['électroménager'],
  locksmith: ['serrurerie'],
  other: ['Menuiserie', 'autre'],
};

export const REQUEST_SPECIALTIES: Weighted<Specialty> = [
  ['electrician', 25], ['plumber', 21], ['mechanic', 11], ['it', 7], ['air_conditioning', 13],
  ['appliance_repair', 11], ['locksmith', 5], ['other', 7],
];

export const REQUEST_TITLES: Record<Specialty, readonly string[]> = {
  electrician: ['Panne de courant dans le salon', 'Disjoncteur qui saute', 'Installation de prises', 'Court-circuit cuisine', 'Remplacement du compteur EDM', 'Éclairage extérieur en panne'],
  plumber: ['Fuite sous l\'évier', 'Robinet qui goutte', 'WC bouché', 'Chauffe-eau en panne', 'Canalisation bouchée', 'Raccordement au réseau SOMAGEP'],
  mechanic: ['Voiture ne démarre plus', 'Moto Jakarta en panne', 'Vidange et freins', 'Batterie à remplacer', 'Bruit moteur suspect'],
  it: ['Ordinateur très lent', 'Installation Wi-Fi', 'Récupération de données', 'Imprimante hors service', 'Virus sur PC'],
  air_conditioning: ['Climatiseur ne refroidit plus', 'Recharge de gaz climatiseur', 'Entretien split', 'Installation climatiseur', 'Climatiseur qui fuit'],
  appliance_repair: ['Réfrigérateur ne refroidit plus', 'Machine à laver en panne', 'Congélateur bruyant', 'Télévision sans image', 'Ventilateur en panne'],
  locksmith: ['Porte claquée, clés à l\'intérieur', 'Changement de serrure', 'Serrure de portail bloquée'],
  other: ['Petits travaux de menuiserie', 'Réparation de portail', 'Montage de meubles', 'Peinture d\'une chambre'],
};

// Typical final price (XOF) per specialty: median and spread of a log-normal draw.
export const PRICE_MEDIAN_XOF: Record<Specialty, number> = {
  electrician: 20000, plumber: 17500, mechanic: 35000, it: 25000, air_conditioning: 30000,
  appliance_repair: 22500, locksmith: 12500, other: 15000,
};

export const URGENCY_LEVELS: Weighted<string> = [['normal', 70], ['same_day', 15], ['urgent', 10], ['sos', 5]];
export const PRIORITIES: Weighted<string> = [['low', 15], ['medium', 60], ['high', 18], ['urgent', 7]];
export const EXPERIENCE_LEVELS: Weighted<string> = [['junior', 55], ['intermediate', 28], ['senior', 13], ['expert', 4]];

export const CLIENT_PAYMENT_METHODS: Weighted<string> = [
  ['orange_money', 44], ['moov_money', 19], ['cash', 22], ['bank_transfer', 5], ['mobile_money', 5],
  ['espece', 4], ['carte_bancaire', 1],
];
export const PAYOUT_METHODS: Weighted<string> = [['orange_money', 70], ['moov_money', 22], ['bank_transfer', 8]];

export const REVIEW_RATINGS: Weighted<number> = [[5, 50], [4, 28], [3, 11], [2, 6], [1, 5]];
export const REVIEW_COMMENTS: Record<number, readonly string[]> = {
  5: ['Travail impeccable, très professionnel.', 'Rapide et efficace, je recommande !', 'Technicien ponctuel et poli. Merci !', 'Excellent service, problème réglé en une heure.'],
  4: ['Bon travail, un peu de retard.', 'Satisfait du résultat.', 'Bon technicien, prix correct.'],
  3: ['Travail correct mais prix élevé.', 'Il a fallu revenir une deuxième fois.'],
  2: ['Retard important et travail moyen.', 'Pas très soigneux.'],
  1: ['Technicien jamais venu à l\'heure, problème toujours là.', 'Très déçu, je ne recommande pas.'],
};
export const REVIEW_TAGS = ['ponctuel', 'professionnel', 'rapide', 'propre', 'bon_prix', 'en_retard', 'cher'] as const;

export const USER_AGENTS = [
  'Mozilla/5.0 (Linux; Android 13; SM-A146B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 11; TECNO KF6i) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 12; Infinix X6816) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36',
  'DepanneTeliman/1.4.2 (Android)',
  'okhttp/4.12.0',
] as const;

// Malian mobile / ISP address blocks (Orange Mali, Moov Africa Malitel) and a few foreign ones.
const MALI_IP_PREFIXES = ['41.73', '41.221', '197.155', '154.118', '102.164', '196.200'] as const;
const FOREIGN_IPS: Weighted<readonly [string, string, string]> = [
  [['185.220', 'France', 'Paris'], 2], [['105.235', "Côte d'Ivoire", 'Abidjan'], 2],
  [['41.82', 'Sénégal', 'Dakar'], 1], [['45.141', '', ''], 1],
];

export interface IpOrigin {
  ip: string;
  country: string;
  city: string;
}

/** A client IP address with the geo fields the backend derived from it. */
export function ipOrigin(rng: Random, homeCity: string): IpOrigin {
  if (rng.chance(0.07)) {
    const [prefix, country, city] = rng.weighted(FOREIGN_IPS);
    return { ip: `${prefix}.${rng.int(0, 255)}.${rng.int(1, 254)}`, country, city };
  }
  const geoFailed = rng.chance(0.08); // the geo lookup returned nothing
  return {
    ip: `${rng.pick(MALI_IP_PREFIXES)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    country: geoFailed ? '' : 'Mali',
    city: geoFailed ? '' : homeCity || 'Bamako',
  };
}

export function malianPhone(rng: Random): string {
  return `+223 ${rng.pick(['6', '7', '9'])}${rng.digits(1)} ${rng.digits(2)} ${rng.digits(2)} ${rng.digits(2)}`;
}

export function streetAddress(rng: Random, city: City): string {
  const district = rng.pick(city.districts);
  const where = city.name === '' ? district : `${district}, ${city.name}`;
  return rng.chance(0.7) ? `Rue ${rng.int(1, 450)}, Porte ${rng.int(1, 120)}, ${where}` : where;
}

export function asciiSlug(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '');
}

export interface PersonName {
  firstName: string;
  lastName: string;
}

export function personName(rng: Random): PersonName {
  const female = rng.chance(0.45);
  return {
    firstName: rng.pick(female ? FEMALE_FIRST_NAMES : MALE_FIRST_NAMES),
    lastName: rng.pick(LAST_NAMES),
  };
}

/** Username unique through the numeric suffix; e-mail derived from it, so it is unique too. */
export function usernameFor(name: PersonName, suffix: number): string {
  return `${asciiSlug(name.firstName)}.${asciiSlug(name.lastName)}${suffix}`;
}

export function emailFor(rng: Random, username: string): string {
  return `${username}@${rng.weighted([['gmail.com', 60], ['yahoo.fr', 20], ['orangemali.net', 10], ['hotmail.com', 10]] as const)}`;
}

/** Whole francs, rounded to the 500 F a technician quotes in practice, clamped to a plausible range. */
export function priceXof(rng: Random, specialty: Specialty): number {
  return plausiblePrice(rng.logNormal(PRICE_MEDIAN_XOF[specialty], 0.6));
}

/** Price charged at completion: often the estimate give or take, otherwise a fresh quote. */
export function finalPriceXof(rng: Random, specialty: Specialty, estimated: number | null): number {
  if (estimated !== null && rng.chance(0.6)) return plausiblePrice(estimated * rng.float(0.85, 1.25));
  return priceXof(rng, specialty);
}

function plausiblePrice(raw: number): number {
  return Math.min(150_000, Math.max(5_000, Math.round(raw / 500) * 500));
}

/** Technician share of a client payment: 80-90 % of the price, whole francs. */
export function payoutXof(rng: Random, price: number): number {
  return Math.round(price * rng.float(0.8, 0.9));
}

/** Specialty as stored on a request: usually the model code, sometimes a French free-text label. */
export function storedSpecialty(rng: Random, code: Specialty): string {
  const labels = FRENCH_LABELS[code];
  return labels && rng.chance(0.06) ? rng.pick(labels) : code;
}

/** Known codes for a (possibly French) stored specialty, for pricing and titles. */
export function specialtyCode(stored: string): Specialty {
  if ((KNOWN_SPECIALTIES as readonly string[]).includes(stored)) return stored as Specialty;
  for (const [code, labels] of Object.entries(FRENCH_LABELS)) {
    if (labels.includes(stored)) return code as Specialty;
  }
  return 'other';
}

export const FAILED_LOGIN_REASONS = ['Mot de passe incorrect', 'Utilisateur inconnu', 'Compte désactivé', 'Code OTP invalide'] as const;

/** Password of every demo account (users are fake; this is a demo database, not a secret). */
export const DEMO_PASSWORD = 'depanneteliman-demo';
/** DEMO_PASSWORD hashed in Django's format (pbkdf2_sha256, 600 000 iterations), precomputed once. */
export const DEMO_PASSWORD_HASH = 'pbkdf2_sha256$600000$DemoSeedSalt2025$C3iQhnHyMjWfsizr5KHJrnZSf2tzJKPX7uTf5N5bQ9A=';
