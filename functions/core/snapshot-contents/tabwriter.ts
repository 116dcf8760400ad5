import { goRuneCount } from './go-text';

/**
 * Go's `text/tabwriter` with `flags = 0` and a space pad character, ported for `consul snapshot inspect`'s pretty
 * output (`tabwriter.NewWriter(&b, 8, 8, 6, ' ', 0)` in command/snapshot/inspect/formatter.go).
 *
 * The rules it reproduces (Go's `Writer.Write`, `format`, `writeLines`, `Flush`):
 * - a cell is text terminated by `\t` (or `\v`); the text after a line's last terminator is a trailing cell that is
 *   printed as is and never widens a column;
 * - a column block is a run of consecutive lines that all have a terminated cell in that column; its width is
 *   `max(minwidth, widest cell + padding)`, cell widths counted in runes;
 * - a line with at most one cell (e.g. an empty line) or a `\f` flushes: the lines before it never align with the
 *   lines after it;
 * - cells are left-aligned and padded with the pad character; empty cells are padded too.
 *
 * Not reproduced: Go's escape byte 0xff (it cannot occur in the strings given here, whose invalid bytes are escaped as
 * lone surrogates, see `go-text.ts`) and the flags (`AlignRight`, `DiscardEmptyColumns`, `TabIndent`, `Debug`…).
 */

/** Layout parameters, as `tabwriter.NewWriter(output, minwidth, tabwidth, padding, padchar, 0)` takes them. */
export interface TabwriterOptions {
  readonly minwidth: number;
  readonly padding: number;
  /** One character. */
  readonly padchar: string;
}

interface Cell {
  /** Length of the cell's text in the segment buffer (UTF-16 code units). */
  size: number;
  /** Width in runes. */
  width: number;
}

/**
 * Lays out `text` as a Go tabwriter with these options would, written in one `Write` and then flushed.
 *
 * @example
 * formatWithTabwriter(' ID\tx\n Size\t1', { minwidth: 8, padding: 6, padchar: ' ' }); // ' ID      x\n Size    1'
 */
export function formatWithTabwriter(text: string, options: TabwriterOptions): string {
  const writer = new GoTabwriter(options);
  writer.write(text);
  return writer.flush();
}

class GoTabwriter {
  private buf = '';
  private cell: Cell = { size: 0, width: 0 };
  private lines: Cell[][] = [[]];
  private widths: number[] = [];
  private readonly out: string[] = [];

  constructor(private readonly options: TabwriterOptions) {}

  write(text: string): void {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.append(text.slice(n, i));
      n = i + 1;
      const cells = this.terminateCell();
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A line with one cell does not affect the formatting of the next lines, so Go flushes there.
        if (ch === '\f' || cells === 1) this.flushSegment();
      }
    }
    this.append(text.slice(n));
  }

  flush(): string {
    this.flushSegment();
    return this.out.join('');
  }

  private append(text: string): void {
    this.buf += text;
    this.cell.size += text.length;
    this.cell.width += goRuneCount(text);
  }

  private terminateCell(): number {
    const line = this.lines[this.lines.length - 1];
    line.push(this.cell);
    this.cell = { size: 0, width: 0 };
    return line.length;
  }

  private flushSegment(): void {
    if (this.cell.size > 0) this.terminateCell();
    this.format(0, 0, this.lines.length);
    this.buf = '';
    this.cell = { size: 0, width: 0 };
    this.lines = [[]];
    this.widths = [];
  }

  /** Go's recursive `format`: finds the column blocks of column `widths.length` in lines [line0, line1). */
  private format(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    const column = this.widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= this.lines[current].length - 1) continue;
      // A cell exists in this column: print the lines before the block, then size the block.
      pos = this.writeLines(pos, line0, current);
      line0 = current;
      let width = this.options.minwidth;
      for (; current < line1; current++) {
        const line = this.lines[current];
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column].width + this.options.padding);
      }
      this.widths.push(width);
      pos = this.format(pos, line0, current);
      this.widths.pop();
      line0 = current;
    }
    return this.writeLines(pos, line0, line1);
  }

  private writeLines(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i];
      line.forEach((c, j) => {
        if (c.size > 0) {
          this.out.push(this.buf.slice(pos, pos + c.size));
          pos += c.size;
        }
        if (j < this.widths.length) this.out.push(this.options.padchar.repeat(this.widths[j] - c.width));
      });
      // The last buffered line has no newline: Go writes any outstanding cell text instead.
      if (i + 1 === this.lines.length) {
        this.out.push(this.buf.slice(pos, pos + this.cell.size));
        pos += this.cell.size;
      } else {
        this.out.push('\n');
      }
    }
    return pos;
  }
}
