// Draws a rendered frame in the terminal: two pixel rows per character cell with the upper half
// block, in 24-bit colour (or light/dark blocks when colours are off).
import type { Canvas } from '../envs/render/canvas.js';

export function frameToAnsi(frame: Canvas, columns: number, color: boolean): string {
  const cols = Math.max(10, Math.min(columns, frame.width));
  const scale = frame.width / cols;
  const rows = Math.max(1, Math.floor(frame.height / scale / 2));
  const pixel = (x: number, y: number): [number, number, number] => {
    const px = Math.min(frame.width - 1, Math.floor((x + 0.5) * scale));
    const py = Math.min(frame.height - 1, Math.floor((y + 0.5) * scale));
    const i = (py * frame.width + px) * 3;
    return [frame.pixels[i], frame.pixels[i + 1], frame.pixels[i + 2]];
  };
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) {
      const top = pixel(c, 2 * r);
      const bottom = pixel(c, 2 * r + 1);
      if (color) {
        line += `\x1b[38;2;${top[0]};${top[1]};${top[2]}m\x1b[48;2;${bottom[0]};${bottom[1]};${bottom[2]}m▀`;
      } else {
        const dark = (p: number[]) => p[0] + p[1] + p[2] < 600;
        line += dark(top) ? (dark(bottom) ? '█' : '▀') : dark(bottom) ? '▄' : ' ';
      }
    }
    lines.push(color ? `${line}\x1b[0m` : line);
  }
  return lines.join('\n');
}
