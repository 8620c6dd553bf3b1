/**
 * Static vocabularies of the traffic simulator: cities, address pools, user agents, e-mail
 * domains. Plain data, no randomness; the simulator samples from these with its seeded source.
 */

/** Continents the simulator places cities on (impossible travel crosses them). @example CONTINENTS[0]; // 'north_america' */
export const CONTINENTS = ['north_america', 'south_america', 'europe', 'africa', 'asia', 'oceania'] as const;
export type Continent = (typeof CONTINENTS)[number];

/** A city users live in or travel to. @example SIM_CITIES.find((c) => c.country === 'JP')?.name; // 'Tokyo' */
export interface SimCity {
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  /** ISO 3166 alpha-2. */
  readonly country: string;
  readonly continent: Continent;
  /** Residential /16 prefixes (first two octets) of the country's ISPs. */
  readonly ipv4: readonly (readonly [number, number])[];
}

/** Cities of the simulated world, with residential IPv4 /16 prefixes of their country. @example SIM_CITIES.length; // 20 */
export const SIM_CITIES: readonly SimCity[] = [
  {
    name: 'New York',
    lat: 40.7128,
    lon: -74.006,
    country: 'US',
    continent: 'north_america',
    ipv4: [
      [24, 5],
      [73, 12],
      [98, 207],
    ],
  },
  {
    name: 'Chicago',
    lat: 41.8781,
    lon: -87.6298,
    country: 'US',
    continent: 'north_america',
    ipv4: [
      [71, 190],
      [73, 44],
      [98, 213],
    ],
  },
  {
    name: 'Los Angeles',
    lat: 34.0522,
    lon: -118.2437,
    country: 'US',
    continent: 'north_america',
    ipv4: [
      [76, 80],
      [47, 144],
      [98, 148],
    ],
  },
  {
    name: 'Toronto',
    lat: 43.6532,
    lon: -79.3832,
    country: 'CA',
    continent: 'north_america',
    ipv4: [
      [24, 114],
      [142, 120],
    ],
  },
  {
    name: 'Mexico City',
    lat: 19.4326,
    lon: -99.1332,
    country: 'MX',
    continent: 'north_america',
    ipv4: [
      [187, 140],
      [189, 200],
    ],
  },
  {
    name: 'Sao Paulo',
    lat: -23.5505,
    lon: -46.6333,
    country: 'BR',
    continent: 'south_america',
    ipv4: [
      [177, 10],
      [189, 40],
    ],
  },
  {
    name: 'Buenos Aires',
    lat: -34.6037,
    lon: -58.3816,
    country: 'AR',
    continent: 'south_america',
    ipv4: [
      [181, 46],
      [190, 17],
    ],
  },
  {
    name: 'London',
    lat: 51.5074,
    lon: -0.1278,
    country: 'GB',
    continent: 'europe',
    ipv4: [
      [81, 100],
      [86, 150],
      [90, 200],
    ],
  },
  {
    name: 'Berlin',
    lat: 52.52,
    lon: 13.405,
    country: 'DE',
    continent: 'europe',
    ipv4: [
      [79, 200],
      [84, 150],
      [91, 40],
    ],
  },
  {
    name: 'Paris',
    lat: 48.8566,
    lon: 2.3522,
    country: 'FR',
    continent: 'europe',
    ipv4: [
      [82, 64],
      [90, 3],
    ],
  },
  {
    name: 'Madrid',
    lat: 40.4168,
    lon: -3.7038,
    country: 'ES',
    continent: 'europe',
    ipv4: [
      [83, 50],
      [88, 20],
    ],
  },
  {
    name: 'Warsaw',
    lat: 52.2297,
    lon: 21.0122,
    country: 'PL',
    continent: 'europe',
    ipv4: [
      [83, 24],
      [89, 64],
    ],
  },
  {
    name: 'Lagos',
    lat: 6.5244,
    lon: 3.3792,
    country: 'NG',
    continent: 'africa',
    ipv4: [
      [105, 112],
      [102, 89],
    ],
  },
  {
    name: 'Johannesburg',
    lat: -26.2041,
    lon: 28.0473,
    country: 'ZA',
    continent: 'africa',
    ipv4: [
      [41, 13],
      [105, 224],
    ],
  },
  {
    name: 'Mumbai',
    lat: 19.076,
    lon: 72.8777,
    country: 'IN',
    continent: 'asia',
    ipv4: [
      [49, 36],
      [117, 200],
    ],
  },
  {
    name: 'Singapore',
    lat: 1.3521,
    lon: 103.8198,
    country: 'SG',
    continent: 'asia',
    ipv4: [
      [116, 86],
      [175, 156],
    ],
  },
  {
    name: 'Tokyo',
    lat: 35.6762,
    lon: 139.6503,
    country: 'JP',
    continent: 'asia',
    ipv4: [
      [126, 10],
      [60, 100],
    ],
  },
  {
    name: 'Seoul',
    lat: 37.5665,
    lon: 126.978,
    country: 'KR',
    continent: 'asia',
    ipv4: [
      [121, 130],
      [211, 200],
    ],
  },
  {
    name: 'Jakarta',
    lat: -6.2088,
    lon: 106.8456,
    country: 'ID',
    continent: 'asia',
    ipv4: [
      [36, 80],
      [114, 120],
    ],
  },
  {
    name: 'Sydney',
    lat: -33.8688,
    lon: 151.2093,
    country: 'AU',
    continent: 'oceania',
    ipv4: [
      [101, 160],
      [120, 20],
    ],
  },
];

/**
 * Hosting-provider /16 ranges the simulator draws "datacenter" attacker IPs from (AWS, GCP,
 * DigitalOcean, Hetzner, OVH, Linode). Normal users never get addresses from these ranges.
 * @example SIMULATED_DATACENTER_CIDRS.includes('159.89.0.0/16'); // true
 */
export const SIMULATED_DATACENTER_CIDRS = [
  '3.85.0.0/16',
  '18.204.0.0/16',
  '34.102.0.0/16',
  '35.187.0.0/16',
  '52.14.0.0/16',
  '54.91.0.0/16',
  '104.131.0.0/16',
  '138.68.0.0/16',
  '159.89.0.0/16',
  '165.227.0.0/16',
  '167.99.0.0/16',
  '95.216.0.0/16',
  '51.68.0.0/16',
  '172.105.0.0/16',
] as const;

/** The same ranges as [first octet, second octet] pairs. @example DATACENTER_PREFIXES[0]; // [3, 85] */
export const DATACENTER_PREFIXES: readonly (readonly [number, number])[] = SIMULATED_DATACENTER_CIDRS.map(
  (c) => {
    const [a, b] = c.split('.');
    return [Number(a), Number(b)] as const;
  },
);

/**
 * Wallets the sanctioned-wallet scenario sends funds to. Put them on a block list labelled
 * 'sanctioned' to test the list and graph detectors. Fixed, independent of the seed.
 * @example createListSet({ wallets: SIMULATED_SANCTIONED_WALLETS.map((w) => ({ value: w, label: 'sanctioned' })) });
 */
export const SIMULATED_SANCTIONED_WALLETS = [
  '0x5a11c7ed00000000000000000000000000000001',
  '0x5a11c7ed00000000000000000000000000000002',
  '0x5a11c7ed00000000000000000000000000000003',
  '0x5a11c7ed00000000000000000000000000000004',
] as const;

/** Browser user agents of real people. @example BROWSER_USER_AGENTS[0].includes('Chrome'); // true */
export const BROWSER_USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
] as const;

/** Automation user agents: headless browsers and HTTP libraries. @example BOT_USER_AGENTS.includes('curl/8.5.0'); // true */
export const BOT_USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36',
  'python-requests/2.32.3',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'axios/1.7.7',
] as const;

/** Mail providers of real people (repeats weight the draw). @example EMAIL_DOMAINS[0]; // 'gmail.com' */
export const EMAIL_DOMAINS = [
  'gmail.com',
  'gmail.com',
  'gmail.com',
  'outlook.com',
  'yahoo.com',
  'icloud.com',
  'hotmail.com',
  'proton.me',
  'gmx.de',
  'orange.fr',
  'naver.com',
] as const;

/** Throw-away mail providers (all on the public disposable-domain block list). @example DISPOSABLE_EMAIL_DOMAINS[0]; // 'mailinator.com' */
export const DISPOSABLE_EMAIL_DOMAINS = [
  'mailinator.com',
  'guerrillamail.com',
  'yopmail.com',
  '10minutemail.com',
  'sharklasers.com',
  'trashmail.com',
] as const;

/** Games normal users and cheaters play (`attrs.game`). @example GAMES.includes('dice'); // true */
export const GAMES = ['dice', 'crash', 'poker', 'slots', 'blackjack'] as const;
