/** The readable page for what does not exist (404) or cannot be read (400). */
import { Layout, type RenderContext, SearchForm } from '../components.js';

export function ErrorPage({
  ctx,
  status,
  title,
  message,
  search,
}: {
  ctx: RenderContext;
  status: number;
  title: string;
  message: string;
  /** The search text this page answers, shown back as text. */
  search?: string;
}) {
  return (
    <Layout ctx={ctx} title={title} search={search}>
      <section class="error-page">
        <p class="error-status">{status}</p>
        <h1>{title}</h1>
        {search !== undefined && (
          <p>
            You searched for <q class="mono break searched">{search}</q>
          </p>
        )}
        <p>{message}</p>
        <SearchForm value={search} big />
        <p>
          <a href="/">Back to the home page</a>
        </p>
      </section>
    </Layout>
  );
}
