import express from 'express';
import request from 'supertest';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { stripErrorStacks, withoutStacks } from './stripErrorStacks';

describe('stripErrorStacks', () => {
  it("removes the stack Backstage's error handler adds in development, keeping name and message", async () => {
    const app = express();
    app.use(stripErrorStacks());
    app.get('/fail', () => {
      throw new NotFoundError('no such grant', new Error('inner'));
    });
    app.use(
      MiddlewareFactory.create({ config: mockServices.rootConfig(), logger: mockServices.logger.mock() }).error({
        showStackTraces: true,
      }),
    );
    const res = await request(app).get('/fail');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ name: 'NotFoundError', message: 'no such grant; caused by Error: inner' });
    expect(res.text).not.toContain('"stack"');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('leaves bodies that are not error bodies alone', () => {
    expect(withoutStacks({ items: [{ stack: 'a data field' }] })).toEqual({ items: [{ stack: 'a data field' }] });
    expect(withoutStacks([1, 2])).toEqual([1, 2]);
    expect(withoutStacks('text')).toBe('text');
    expect(withoutStacks({ error: { name: 'E', stack: 's', cause: { name: 'C', stack: 's2' } } })).toEqual({
      error: { name: 'E', cause: { name: 'C' } },
    });
  });
});
