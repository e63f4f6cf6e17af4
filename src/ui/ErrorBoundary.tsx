/**
 * Error boundaries around each page and each panel: a render error (or an error in a view's effects,
 * e.g. drawing a canvas) shows what failed and a "Reset this view" button in place of that view only,
 * and is logged; the rest of the app keeps working. Without them React unmounts the whole app and the
 * page goes blank (issue 8).
 */
import { Component, Fragment, type ErrorInfo, type ReactNode } from 'react';

export interface ErrorBoundaryProps {
  /** What this view is, for people ("Filmstrip", "Explore page"). */
  name: string;
  children?: ReactNode;
  /** Called before the view is shown again (e.g. to drop the state that made it fail). */
  onReset?: () => void;
  className?: string;
}

interface State { error: Error | null; resets: number }

/** The message shown for a failed view. */
export function failureText(name: string, error: unknown): string {
  const msg = error instanceof Error ? error.message : String(error);
  return `${name} failed: ${msg || 'unknown error'}`;
}

export class ErrorBoundary extends Component<ErrorBoundaryProps, State> {
  state: State = { error: null, resets: 0 };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error(`[AdvBN] ${failureText(this.props.name, error)}`, error, info.componentStack ?? '');
  }

  private reset = () => {
    this.props.onReset?.();
    // A new key remounts the children: their state starts afresh.
    this.setState((s) => ({ error: null, resets: s.resets + 1 }));
  };

  render(): ReactNode {
    const { error, resets } = this.state;
    if (error) {
      return (
        <div className={`panel view-error ${this.props.className ?? ''}`} role="alert" data-testid="view-error" data-view={this.props.name}>
          <strong>{failureText(this.props.name, error)}</strong>
          <p className="muted small">The rest of the app still works. The error is logged in the browser console.</p>
          <button type="button" onClick={this.reset}>Reset this view</button>
        </div>
      );
    }
    return <Fragment key={resets}>{this.props.children}</Fragment>;
  }
}
