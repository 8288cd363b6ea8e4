/**
 * @module host/build/free-references
 * Finds where a bundle uses globals it never declares: every reference to one of a few names
 * that no enclosing scope binds, with what surrounds it (is it `typeof`'s operand, is it inside a
 * `try` block or behind a `typeof` test). esbuild exposes no syntax tree, so the bundle it wrote
 * is parsed again with acorn; types are gone by then and every module of the image is in one
 * file, the developer's TypeScript and the packages' JavaScript alike.
 *
 * Scopes follow strict mode (an ES module is strict): `var` and parameters belong to the function,
 * `let`, `const`, `class` and function declarations to their block, a catch parameter to its
 * clause, a function or class expression's own name to itself. Names in declarations are
 * bindings; names in assignments (`process = 1`, `({ a: Buffer } = x)`) are references.
 */

import { parse } from "acorn";

/** An ESTree node as acorn makes it, seen loosely: the walk needs only types, children and places. */
type Node = { type: string; loc?: { start: { line: number; column: number } } | null | undefined; [key: string]: unknown };

export interface FreeReference {
  readonly name: string;
  /** 1-based line and column in the bundle. */
  readonly line: number;
  readonly column: number;
  /** `typeof name`: asking whether the global exists, which never throws. */
  readonly typeofOperand: boolean;
  /** Inside a `try` block of the same function: a ReferenceError there is caught. */
  readonly inTry: boolean;
  /** In a branch of `if`, `?:`, `&&`, `||` or `??` whose test holds a `typeof` check. */
  readonly behindTypeof: boolean;
  /** The property read from it, `env` for `process.env`, if any. */
  readonly property: string | undefined;
}

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/**
 * The references to `names` in `code` (an ES module) that no scope binds. A top-level binding of a
 * name in `unboundAtTop` does not count: esbuild's own `var __require = …` shim stands for the
 * missing `require`, and esbuild renames any other top-level binding that would take its name.
 */
export function freeReferences(code: string, names: ReadonlySet<string>, unboundAtTop: ReadonlySet<string> = new Set()): FreeReference[] {
  const program = parse(code, { ecmaVersion: "latest", sourceType: "module", locations: true }) as unknown as Node;
  const found: FreeReference[] = [];
  const path: Node[] = [];
  const scopes: Set<string>[] = [];
  const bound = (name: string) => scopes.some((scope) => scope.has(name));
  const declare = (scope: Set<string>, pattern: unknown) => {
    for (const name of patternNames(pattern)) if (names.has(name)) scope.add(name);
  };

  const reference = (id: Node) => {
    const name = id.name as string;
    if (!names.has(name) || bound(name)) return;
    const parent = path[path.length - 1];
    const member = parent?.type === "MemberExpression" && parent.object === id && !parent.computed ? ((parent.property as Node).name as string) : undefined;
    found.push({
      name,
      line: id.loc!.start.line,
      column: id.loc!.start.column + 1,
      typeofOperand: parent?.type === "UnaryExpression" && parent.operator === "typeof",
      inTry: insideTry(path, id),
      behindTypeof: behindTypeof(path, id),
      property: member,
    });
  };

  /** Visits a node in a position where an identifier is a reference. */
  const visit = (node: unknown): void => {
    if (!isNode(node)) {
      if (Array.isArray(node)) for (const item of node) visit(item);
      return;
    }
    if (node.type === "Identifier") return reference(node);
    path.push(node);
    try {
      visitChildren(node);
    } finally {
      path.pop();
    }
  };

  /** A declaration's pattern: its names are bindings; only default values and computed keys are read. */
  const visitPattern = (pattern: unknown): void => {
    if (!isNode(pattern)) return;
    path.push(pattern);
    try {
      if (pattern.type === "AssignmentPattern") visitPattern(pattern.left), visit(pattern.right);
      else if (pattern.type === "ArrayPattern") (pattern.elements as unknown[]).forEach(visitPattern);
      else if (pattern.type === "RestElement") visitPattern(pattern.argument);
      else if (pattern.type === "ObjectPattern") {
        for (const prop of pattern.properties as Node[]) {
          if (prop.type === "RestElement") visitPattern(prop.argument);
          else {
            if (prop.computed) visit(prop.key);
            visitPattern(prop.value);
          }
        }
      }
    } finally {
      path.pop();
    }
  };

  const withScope = (scope: Set<string>, body: () => void) => {
    scopes.push(scope);
    try {
      body();
    } finally {
      scopes.pop();
    }
  };

  /** The lexical declarations made directly in a list of statements. */
  const lexical = (statements: unknown[], scope: Set<string>) => {
    for (const s of statements as Node[]) {
      if (s.type === "VariableDeclaration" && s.kind !== "var") for (const d of s.declarations as Node[]) declare(scope, d.id);
      else if ((s.type === "FunctionDeclaration" || s.type === "ClassDeclaration") && s.id) declare(scope, s.id);
      else if (s.type === "ExportNamedDeclaration" || s.type === "ExportDefaultDeclaration") lexical([s.declaration].filter(isNode), scope);
    }
  };

  const visitFunction = (fn: Node) => {
    const outer = new Set<string>();
    // A function expression's own name is visible inside it only.
    if (fn.type === "FunctionExpression" && fn.id) declare(outer, fn.id);
    withScope(outer, () => {
      const scope = new Set<string>();
      for (const param of fn.params as unknown[]) declare(scope, param);
      hoistVars(fn.body, (p) => declare(scope, p));
      if ((fn.body as Node).type === "BlockStatement") lexical((fn.body as Node).body as unknown[], scope);
      withScope(scope, () => {
        for (const param of fn.params as unknown[]) visitPattern(param);
        const body = fn.body as Node;
        // The body's block shares the function's scope: visited without a scope of its own.
        if (body.type !== "BlockStatement") return visit(body);
        path.push(body);
        visit(body.body);
        path.pop();
      });
    });
  };

  const visitChildren = (node: Node): void => {
    switch (node.type) {
      case "Program": {
        const scope = new Set<string>();
        hoistVars(node, (p) => declare(scope, p));
        lexical(node.body as unknown[], scope);
        for (const name of unboundAtTop) scope.delete(name);
        return withScope(scope, () => visit(node.body));
      }
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        return visitFunction(node);
      case "BlockStatement":
      case "StaticBlock": {
        const scope = new Set<string>();
        lexical(node.body as unknown[], scope);
        if (node.type === "StaticBlock") hoistVars(node, (p) => declare(scope, p));
        return withScope(scope, () => visit(node.body));
      }
      case "SwitchStatement": {
        visit(node.discriminant);
        const scope = new Set<string>();
        for (const c of node.cases as Node[]) lexical(c.consequent as unknown[], scope);
        return withScope(scope, () => visit(node.cases));
      }
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement": {
        const head = (node.type === "ForStatement" ? node.init : node.left) as Node | null;
        const scope = new Set<string>();
        if (head?.type === "VariableDeclaration" && head.kind !== "var") for (const d of head.declarations as Node[]) declare(scope, d.id);
        return withScope(scope, () => {
          for (const key of ["init", "left", "test", "update", "right", "body"]) if (key in node) visit(node[key]);
        });
      }
      case "CatchClause": {
        const scope = new Set<string>();
        declare(scope, node.param);
        return withScope(scope, () => {
          visitPattern(node.param);
          visit(node.body);
        });
      }
      case "VariableDeclarator":
        visitPattern(node.id);
        return visit(node.init);
      case "ClassDeclaration":
      case "ClassExpression": {
        const scope = new Set<string>();
        if (node.id) declare(scope, node.id);
        return withScope(scope, () => {
          visit(node.superClass);
          visit(node.body);
        });
      }
      case "MemberExpression":
        visit(node.object);
        if (node.computed) visit(node.property);
        return;
      case "Property":
      case "PropertyDefinition":
      case "MethodDefinition":
        if (node.computed) visit(node.key);
        return visit(node.value);
      case "LabeledStatement":
        return visit(node.body);
      case "BreakStatement": // labels, import.meta and imports (none in a bundle) are not references
      case "ContinueStatement":
      case "MetaProperty":
      case "ImportDeclaration":
        return;
      case "ExportNamedDeclaration":
        // `export { x as default }` reads x; the exported names are not references.
        if (node.declaration) return visit(node.declaration);
        if (!node.source) for (const spec of node.specifiers as Node[]) visit(spec.local);
        return;
      default:
        for (const key of Object.keys(node)) if (key !== "loc" && key !== "type") visit(node[key]);
    }
  };

  visit(program);
  return found;
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

/** The names a binding pattern declares. */
function* patternNames(pattern: unknown): Generator<string> {
  if (!isNode(pattern)) return;
  switch (pattern.type) {
    case "Identifier":
      yield pattern.name as string;
      return;
    case "AssignmentPattern":
      yield* patternNames(pattern.left);
      return;
    case "RestElement":
      yield* patternNames(pattern.argument);
      return;
    case "ArrayPattern":
      for (const element of pattern.elements as unknown[]) yield* patternNames(element);
      return;
    case "ObjectPattern":
      for (const prop of pattern.properties as Node[]) yield* patternNames(prop.type === "RestElement" ? prop.argument : prop.value);
  }
}

/** Calls `declare` with each `var` pattern in a function's (or the program's, or a static block's) own body. */
function hoistVars(node: unknown, declare: (pattern: unknown) => void): void {
  if (Array.isArray(node)) return node.forEach((n) => hoistVars(n, declare));
  if (!isNode(node)) return;
  if (node.type === "VariableDeclaration" && node.kind === "var") for (const d of node.declarations as Node[]) declare(d.id);
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "type") continue;
    const child = node[key];
    // Nested functions, class bodies and static blocks hold their own vars; expressions hold none.
    if (isNode(child) && (FUNCTIONS.has(child.type) || child.type.startsWith("Class") || child.type === "StaticBlock")) continue;
    if (isNode(child) || Array.isArray(child)) hoistVars(child, declare);
  }
}

/** Whether `id` sits in the `block` of a try statement, without a function in between. */
function insideTry(path: readonly Node[], id: Node): boolean {
  let child: Node = id;
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i]!;
    if (FUNCTIONS.has(node.type)) return false;
    if (node.type === "TryStatement" && node.block === child) return true;
    child = node;
  }
  return false;
}

/** Whether `id` is in a branch taken only after a test that holds `typeof`. */
function behindTypeof(path: readonly Node[], id: Node): boolean {
  let child: Node = id;
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i]!;
    if ((node.type === "IfStatement" || node.type === "ConditionalExpression") && node.test !== child && holdsTypeof(node.test)) return true;
    if (node.type === "LogicalExpression" && node.right === child && holdsTypeof(node.left)) return true;
    child = node;
  }
  return false;
}

function holdsTypeof(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(holdsTypeof);
  if (!isNode(node) || FUNCTIONS.has(node.type)) return false;
  if (node.type === "UnaryExpression" && node.operator === "typeof") return true;
  return Object.keys(node).some((key) => key !== "loc" && key !== "type" && holdsTypeof(node[key]));
}
