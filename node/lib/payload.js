'use strict';
// Builds the payload object from the tape the native side wrote while the core checked the
// payload (bindings/js-shared/src/tape.rs documents the format): 5-7 times faster than
// JSON.parse of the payload text, with the same result (`assert.deepStrictEqual`, own
// enumerable data properties in the same order, `__proto__` an own property, the last of
// repeated keys kept in the first one's place, numbers correctly rounded).
//
// Objects of a registered shape (a key sequence the receiver met twice) are made by an
// object literal compiled once per shape, `{["k0"]: val(), ["k1"]: val(), …}`: V8 clones its
// boilerplate instead of hashing each key and walking map transitions as JSON.parse does.
// Computed keys define own properties (CreateDataProperty, as JSON.parse), so `__proto__` is
// a key like any other and no setter of Object.prototype is called. Arrays are `new
// Array(n)` filled by index (three to four times faster than `Array.from({ length: n }, val)`,
// which defines its elements as JSON.parse does; the difference shows only if an indexed
// setter was put on Array.prototype or Object.prototype). Strings are slices of the two
// strings the native side made (Latin-1 and UTF-16): a slice of 13 characters or more shares
// its pool's memory while it lives, as any substring does.

const OBJ = 0;
const GOBJ = 1;
const ARR = 2;
const STR1 = 3;
const STR2 = 4;
const NUM = 5;
const TRUE = 6;
const FALSE = 7;
const NULL = 8;

/** Slots at the start of the tape: its length, where the generic objects' keys start. */
const HEADER = 2;

// The tape being read (one build at a time: nothing here calls out to user code).
let tape;
let latin1;
let wide;
let pos;
let generic;
/** The shapes of the receiver being read: `compiled[id]`, or `resolve(id)` to compile it. */
let compiled;
let resolve;

const descriptor = { value: undefined, writable: true, enumerable: true, configurable: true };

function str(op, start, len) {
  return op === STR1 ? latin1.slice(start, start + len) : wide.slice(start, start + len);
}

function val() {
  switch (tape[pos++]) {
    case OBJ: {
      const id = tape[pos++];
      const make = compiled[id];
      return make === undefined ? resolve(id)() : make();
    }
    case STR1: {
      const start = tape[pos];
      const end = start + tape[pos + 1];
      pos += 2;
      return latin1.slice(start, end);
    }
    case NUM:
      return tape[pos++];
    case ARR: {
      const length = tape[pos++];
      const array = new Array(length);
      for (let i = 0; i < length; i++) array[i] = val();
      return array;
    }
    case TRUE:
      return true;
    case FALSE:
      return false;
    case NULL:
      return null;
    case STR2: {
      const start = tape[pos];
      const end = start + tape[pos + 1];
      pos += 2;
      return wide.slice(start, end);
    }
    case GOBJ:
      return genericObject(generic + tape[pos++]);
    default:
      throw new Error('kompliant-webhooks: malformed payload tape (please report this bug)');
  }
}

/** An object whose keys are on the tape at `at`: a member count, then op, start, length per key. */
function genericObject(at) {
  const members = tape[at];
  const object = {};
  for (let i = 0, k = at + 1; i < members; i++, k += 3) {
    const key = str(tape[k], tape[k + 1], tape[k + 2]);
    descriptor.value = val();
    Object.defineProperty(object, key, descriptor);
  }
  descriptor.value = undefined;
  return object;
}

/** A function making an object of `keys` from the next values of the tape. */
function compile(keys) {
  try {
    const members = keys.map((key) => `[${JSON.stringify(key)}]:val()`).join(',');
    // eslint-disable-next-line no-new-func
    return new Function('val', `'use strict';return function(){return{${members}}}`)(val);
  } catch {
    // Code generation from strings disallowed (--disallow-code-generation-from-strings).
    return () => {
      const object = {};
      for (const key of keys) {
        descriptor.value = val();
        Object.defineProperty(object, key, descriptor);
      }
      descriptor.value = undefined;
      return object;
    };
  }
}

/**
 * The shapes of one receiver: compiled object literals by shape id, the keys asked for from
 * the native side (`keysOf(id)`) the first time an id is met.
 */
function shapeCache(keysOf) {
  const cache = [];
  return {
    compiled: cache,
    resolve(id) {
      const make = compile(keysOf(id));
      cache[id] = make;
      return make;
    },
  };
}

/**
 * The payload of a native decrypt's result (`[latin1, parts, text, wide?, spilled?]`) whose
 * tape was written into `scratch` (or came back whole as `spilled`), with `shapes` (from
 * `shapeCache`) of the receiver that decrypted it.
 */
function buildPayload(decrypted, scratch, shapes) {
  tape = decrypted[4] ?? scratch;
  latin1 = decrypted[0];
  wide = decrypted[3];
  generic = tape[1];
  compiled = shapes.compiled;
  resolve = shapes.resolve;
  pos = HEADER;
  try {
    return val();
  } finally {
    tape = undefined;
    latin1 = undefined;
    wide = undefined;
  }
}

module.exports = { buildPayload, shapeCache };
