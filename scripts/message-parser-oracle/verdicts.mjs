// Reads a JSON list of message texts on stdin; prints, for each, the AST that Rocket.Chat's clients
// render it from (@rocket.chat/message-parser). record.py turns these into tests/replies/data.
import { parse } from '@rocket.chat/message-parser';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const texts = JSON.parse(input);
  process.stdout.write(JSON.stringify(texts.map((text) => ({ text, ast: parse(text) }))));
});
