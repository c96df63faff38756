// src/commands.ts is the one place for command ids: package.json must declare exactly its public
// ones, and its menus and key bindings may name no other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { COMMANDS, INTERNAL_COMMANDS } from '../../src/commands';

interface CommandRef {
  readonly command: string;
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { commands: CommandRef[]; menus: Record<string, CommandRef[]>; keybindings: CommandRef[] };
};

test('package.json declares every public command of src/commands.ts, and no other', () => {
  const declared = manifest.contributes.commands.map((c) => c.command).sort();
  const publicIds = Object.values(COMMANDS)
    .filter((id) => !INTERNAL_COMMANDS.has(id))
    .sort();
  assert.deepEqual(declared, publicIds);
});

test("package.json's menus and key bindings name only declared commands", () => {
  const declared = new Set(manifest.contributes.commands.map((c) => c.command));
  const named = [...Object.values(manifest.contributes.menus).flat(), ...manifest.contributes.keybindings].map((c) => c.command);
  assert.deepEqual(
    named.filter((id) => !declared.has(id)),
    [],
  );
});

test('command ids are unique', () => {
  const ids = Object.values(COMMANDS);
  assert.equal(new Set(ids).size, ids.length);
});
