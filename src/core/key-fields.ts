/**
 * How one field of a spec is written in a canonical LUT key (keys.ts): its name in the spec, the prefix
 * it is written with, and its type. Each block kind lists its fields in its lowering file.
 */
export type FieldType = 'int' | 'ints' | 'num' | 'bool' | 'act' | 'mode' | 'cell';
export interface Field {
  name: string;
  prefix: string;
  type: FieldType;
}
export const f = (name: string, prefix: string, type: FieldType): Field => ({ name, prefix, type });
