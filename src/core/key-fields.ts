/**
 * How one field of a spec is written in a canonical LUT key (keys.ts): its name in the spec, the prefix
 * it is written with, and its type. Each block kind lists its fields in its lowering file.
 */
export type FieldType = 'int' | 'ints' | 'num' | 'bool' | 'act' | 'mode' | 'cell' | 'norm' | 'gate';
export interface Field {
  name: string;
  prefix: string;
  type: FieldType;
  /**
   * Optional fields come after the required ones and appear in a key only when the spec sets them, so
   * adding one to a kind leaves every existing key of that kind unchanged.
   */
  optional?: true;
}
export const f = (name: string, prefix: string, type: FieldType): Field => ({ name, prefix, type });
export const opt = (name: string, prefix: string, type: FieldType): Field => ({ name, prefix, type, optional: true });
