/**
 * Forbids `obj[key] = value` (and `+=`, `??=`, `++`...) where `key` may be any string: on an
 * ordinary object a key named `__proto__` replaces the prototype instead of storing data, and
 * flag names, client data keys, condition variables and checks come from users. Number keys
 * (arrays, buffers) and keys of a fixed set of string literals are fine. Use `setOwn(obj, key,
 * value)` from `shared/json.ts`, or a `Map`.
 */
import ts from 'typescript';

/** True when every possible value of the key is a number, a symbol, or a string literal other than `__proto__`. */
function isSafeKeyType(type) {
  if (type.isUnion()) return type.types.every(isSafeKeyType);
  if (type.isStringLiteral()) return type.value !== '__proto__';
  const flags = type.getFlags();
  return (flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.ESSymbolLike)) !== 0;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'no assignment of a computed string key on an object (`__proto__` is data)' },
    messages: {
      unsafe:
        'Assigning obj[key] with a string key: a key named "__proto__" would set the prototype. Use setOwn(obj, key, value) (shared/json.ts) or a Map.',
    },
    schema: [],
  },
  create(context) {
    const services = context.sourceCode.parserServices;
    if (!services?.program) return {};
    const check = (target) => {
      if (target?.type !== 'MemberExpression' || !target.computed) return;
      if (target.property.type === 'Literal' && target.property.value !== '__proto__') return;
      if (isSafeKeyType(services.getTypeAtLocation(target.property))) return;
      context.report({ node: target, messageId: 'unsafe' });
    };
    return {
      AssignmentExpression: (node) => check(node.left),
      UpdateExpression: (node) => check(node.argument),
    };
  },
};
