// Only a type from '../memory': its values would load the index and its parsers before a run first searches.
import type { ContextSection } from '../memory';
import { summaryRequest } from './compaction';
import { ContextBuilder, contextAttributes } from './contextBuilder';
import { loadTokenCounter } from './tokens';
import type { ChatMessage, ModelRouter, RoutedChatRequest, RoutedChatResponse, ToolSpec } from '../models';
import type { Span } from '../observability/tracer';

/** What a run is reminded of as it starts: the procedures, past runs and code that bear on its goal. */
export interface RunMemory {
  recall(goal: string, span: Span, signal: AbortSignal): Promise<readonly ContextSection[]>;
}

/** The model a run talks to: the router, which picks, retries and falls back, and says how much room its models have. */
export interface RunModel {
  chat(request: RoutedChatRequest, signal: AbortSignal, span?: Span): Promise<RoutedChatResponse>;
  room: ModelRouter['room'];
}

/** Tokenizers differ between model families; this much of the window is left unused so a prompt counted with o200k still fits. */
const TOKENIZER_MARGIN = 0.05;

/**
 * Working memory for one run: the prompt for each model call, filled by priority within the room the router's
 * models have, with older turns summarised by a `summarize` model once the conversation outgrows it.
 */
export class RunContext {
  private constructor(
    private readonly builder: ContextBuilder,
    private readonly system: string,
    private readonly goal: string,
    private readonly sections: readonly ContextSection[],
  ) {}

  static async start(options: {
    system: string;
    goal: string;
    tools: readonly ToolSpec[];
    model: RunModel;
    memory: RunMemory | undefined;
    who: { runId: string; agent: string };
    /** Whether the run is local-only now: the summariser sees the same conversation, so it obeys the same rule. */
    localOnly: () => boolean;
    span: Span;
    signal: AbortSignal;
  }): Promise<RunContext> {
    const { model, who, span, signal } = options;
    const [sections, count] = await Promise.all([options.memory?.recall(options.goal, span, signal) ?? [], loadTokenCounter()]);
    const { contextWindow, maxOutputTokens } = model.room('act');
    const toolTokens = count(JSON.stringify(options.tools));
    const budget = Math.max(1, Math.floor(contextWindow * (1 - TOKENIZER_MARGIN)) - maxOutputTokens - toolTokens);
    const builder = new ContextBuilder({
      budget,
      countTokens: count,
      summarize: async (messages, summarySignal) =>
        (await model.chat({ messages: summaryRequest(messages), tools: [], taskClass: 'summarize', localOnly: options.localOnly(), ...who }, summarySignal)).content,
    });
    return new RunContext(builder, options.system, options.goal, sections);
  }

  /** The messages for the next call; the report goes on the call's span. */
  async messages(conversation: readonly ChatMessage[], span: Span, signal: AbortSignal): Promise<ChatMessage[]> {
    const { messages, report } = await this.builder.build({ system: this.system, goal: this.goal, sections: this.sections, conversation }, signal);
    span.setAttributes(contextAttributes(report));
    return messages;
  }
}
