import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes of a run's workflow, so runs can be listed and filtered
 * (`temporal workflow list --query 'CorpusflowPipeline="quickstart" AND CorpusflowStage="dedup"'`).
 * The run id is the workflow id and the status the built-in ExecutionStatus.
 */
export const PIPELINE = defineSearchAttributeKey('CorpusflowPipeline', SearchAttributeType.KEYWORD);
/** The stage running now, then the last stage once the run has finished its stages. */
export const STAGE = defineSearchAttributeKey('CorpusflowStage', SearchAttributeType.KEYWORD);

/** How a server registers them: `temporal server start-dev` flags, or `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_FLAGS = [PIPELINE, STAGE].flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
