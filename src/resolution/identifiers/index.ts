export * from './idNumber';
export * from './uscc';
export * from './registrationNumber';
export * from './houseCode';
