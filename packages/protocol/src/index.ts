export * from './errors.js';
export * from './scopes.js';
export * from './geolocations.js';
export * from './wire.js';
