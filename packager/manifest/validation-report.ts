import { AppError } from '../../core/errors.ts';

/** One finding about a package, pointing at where it is and saying how to fix it. */
export interface Issue {
  /** Archive path of the file the finding is about (the manifest, or a file it names). */
  file: string;
  /** 1-based line in `file`, when the finding comes from a place in an XML document. */
  line?: number;
  message: string;
  fix: string;
}

/** Errors refuse the import; warnings are shown to the designer and the import goes on. */
export interface ValidationReport {
  errors: Issue[];
  warnings: Issue[];
}

export interface ReportBuilder {
  readonly report: ValidationReport;
  readonly file: string;
  error(line: number | undefined, message: string, fix: string): void;
  warning(line: number | undefined, message: string, fix: string): void;
  /** A finding about some other file than the one being parsed (a missing or unreferenced file). */
  add(kind: 'error' | 'warning', issue: Issue): void;
}

export function createReportBuilder(file: string): ReportBuilder {
  const report: ValidationReport = { errors: [], warnings: [] };
  const make = (line: number | undefined, message: string, fix: string): Issue =>
    line === undefined ? { file, message, fix } : { file, line, message, fix };
  return {
    report,
    file,
    error: (line, message, fix) => report.errors.push(make(line, message, fix)),
    warning: (line, message, fix) => report.warnings.push(make(line, message, fix)),
    add: (kind, issue) => (kind === 'error' ? report.errors : report.warnings).push(issue),
  };
}

export function mergeReports(...reports: ValidationReport[]): ValidationReport {
  return {
    errors: reports.flatMap((r) => r.errors),
    warnings: reports.flatMap((r) => r.warnings),
  };
}

export function formatIssue(issue: Issue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.message} Fix: ${issue.fix}`;
}

/**
 * Throws VALIDATION_FAILED when the report has errors. The whole report rides in `details` so the import UI can
 * list every error and warning, not only the first.
 */
export function refuseOnErrors(report: ValidationReport): void {
  const first = report.errors[0];
  if (!first) return;
  const more = report.errors.length > 1 ? ` (and ${report.errors.length - 1} more)` : '';
  throw new AppError('VALIDATION_FAILED', `The package was refused: ${formatIssue(first)}${more}`, {
    rule: 'invalid-course-structure',
    errors: report.errors,
    warnings: report.warnings,
  });
}
